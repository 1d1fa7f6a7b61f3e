// Configuration decoding and validation: every nonsense value fails with the field named.
import Foundation
import XCTest
@testable import Qwen3VL

final class ConfigurationTests: XCTestCase {
    /// The fixture's config.json as a mutable dictionary.
    func baseConfig() throws -> [String: Any] {
        let dir = try TextParityTests.fixtureDirectory("tiny-gqa4-tied")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func decode(_ object: [String: Any]) throws -> Qwen3VLConfiguration {
        try Qwen3VLConfiguration.decode(JSONSerialization.data(withJSONObject: object), file: "config.json")
    }

    /// Applies `edit` to the text or vision sub-object and expects an error on `field` (or any error with `contains`).
    func expectInvalid(_ field: String, file: StaticString = #filePath, line: UInt = #line,
                       _ edit: (inout [String: Any]) -> Void) throws {
        var c = try baseConfig()
        edit(&c)
        XCTAssertThrowsError(try decode(c), file: file, line: line) { error in
            guard case let .invalidConfiguration(_, got, _)? = error as? Qwen3VLError else {
                return XCTFail("\(error)", file: file, line: line)
            }
            XCTAssertEqual(got, field, "\(error)", file: file, line: line)
        }
    }

    func text(_ c: inout [String: Any], _ key: String, _ value: Any?) {
        var t = c["text_config"] as? [String: Any] ?? [:]
        t[key] = value
        c["text_config"] = t
    }

    func vision(_ c: inout [String: Any], _ key: String, _ value: Any?) {
        var v = c["vision_config"] as? [String: Any] ?? [:]
        v[key] = value
        c["vision_config"] = v
    }

    func testFixtureDecodes() throws {
        let c = try decode(try baseConfig())
        XCTAssertEqual(c.text.headDim, 16)
        XCTAssertEqual(c.text.kvHeadCount, 1)
        XCTAssertEqual(c.text.mropeSection, [2, 3, 3])
        XCTAssertEqual(c.text.ropeTheta, 5e6)
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.imageTokenId, 509)
        XCTAssertEqual(c.vision.positionGridSide, 4)
    }

    /// Decodes the fixture's config.json text with `old` replaced by `new` (text edits reach what a
    /// dictionary round trip cannot: NaN, repeated keys, number spellings).
    func decodeEditedText(_ old: String, _ new: String) throws -> Qwen3VLConfiguration {
        let dir = try TextParityTests.fixtureDirectory("tiny-gqa4-tied")
        let text = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        XCTAssertTrue(text.contains(old), old)
        return try Qwen3VLConfiguration.decode(Data(text.replacingOccurrences(of: old, with: new).utf8))
    }

    /// The reason of the `configurationUnreadable` that `body` throws.
    func unreadableReason(_ body: () throws -> Qwen3VLConfiguration) -> String {
        do { _ = try body() } catch let Qwen3VLError.configurationUnreadable(_, reason) { return reason } catch {
            XCTFail("\(error)")
        }
        return ""
    }

    func testNaNIsNotJSON() throws {
        let reason = unreadableReason { try decodeEditedText("\"rms_norm_eps\": 1e-06", "\"rms_norm_eps\": NaN") }
        XCTAssertTrue(reason.contains("NaN"), reason)
    }

    /// StrictJSON rejects a repeated key instead of letting the last one win; the error says which.
    func testDuplicateKeyIsRefused() throws {
        let reason = unreadableReason {
            try decodeEditedText("\"rms_norm_eps\": 1e-06", "\"rms_norm_eps\": 1e-06, \"rms_norm_eps\": 1e-05")
        }
        XCTAssertTrue(reason.contains("duplicate member \"rms_norm_eps\""), reason)
    }

    /// Counts must be written as integers: `64.0` is a number but not an integer.
    func testIntegerFieldWrittenWithAFraction() throws {
        XCTAssertThrowsError(try decodeEditedText("\"hidden_size\": 64,", "\"hidden_size\": 64.0,")) { error in
            XCTAssertEqual(error as? Qwen3VLError, .invalidConfiguration(file: "config.json", field: "text_config.hidden_size",
                                                                          reason: "expected an integer, got 64.0"))
        }
    }

    func testUnknownAndUnsupportedModelTypes() throws {
        var c = try baseConfig()
        c["model_type"] = "llama"
        XCTAssertThrowsError(try decode(c)) { XCTAssertEqual($0 as? Qwen3VLError, .unknownModelType(file: "config.json", modelType: "llama")) }
        c["model_type"] = "qwen3_vl_moe"
        XCTAssertThrowsError(try decode(c)) { guard case .unsupportedModel? = $0 as? Qwen3VLError else { return XCTFail("\($0)") } }
        c["model_type"] = nil
        XCTAssertThrowsError(try decode(c)) { guard case .invalidConfiguration(_, "model_type", _)? = $0 as? Qwen3VLError else { return XCTFail("\($0)") } }
    }

    func testNonsenseTextValues() throws {
        try expectInvalid("text_config.hidden_size") { self.text(&$0, "hidden_size", "wide") }
        try expectInvalid("text_config.hidden_size") { self.text(&$0, "hidden_size", 1e30) }
        try expectInvalid("text_config.hidden_size") { self.text(&$0, "hidden_size", 0) }
        try expectInvalid("text_config.num_hidden_layers") { self.text(&$0, "num_hidden_layers", 2.5) }
        try expectInvalid("text_config.vocab_size") { self.text(&$0, "vocab_size", -3) }
        try expectInvalid("text_config.rms_norm_eps") { self.text(&$0, "rms_norm_eps", -1) }
        try expectInvalid("text_config.num_key_value_heads") { self.text(&$0, "num_key_value_heads", 3) }
        try expectInvalid("text_config.hidden_act") { self.text(&$0, "hidden_act", "relu") }
        try expectInvalid("text_config.eos_token_id") { self.text(&$0, "eos_token_id", 100_000) }
        try expectInvalid("text_config.attention_bias") { self.text(&$0, "attention_bias", 1) }
    }

    func testRopeValidationInBothForms() throws {
        try expectInvalid("text_config.mrope_section") {
            self.text(&$0, "rope_parameters", ["rope_type": "default", "rope_theta": 1e4, "mrope_section": [2, 2, 2], "mrope_interleaved": true])
        }
        try expectInvalid("text_config.rope_theta") {
            self.text(&$0, "rope_parameters", ["rope_type": "default", "rope_theta": -5, "mrope_section": [2, 3, 3], "mrope_interleaved": true])
        }
        try expectInvalid("text_config.rope_parameters.rope_type") {
            self.text(&$0, "rope_parameters", ["rope_type": "yarn", "rope_theta": 1e4, "mrope_section": [2, 3, 3]])
        }
        try expectInvalid("text_config.rope_scaling") { self.text(&$0, "rope_parameters", nil) }
        // 4.57 form: rope_theta beside rope_scaling.
        var c = try baseConfig()
        text(&c, "rope_parameters", nil)
        text(&c, "rope_theta", 5e6)
        text(&c, "rope_scaling", ["rope_type": "default", "mrope_section": [2, 3, 3], "mrope_interleaved": true])
        XCTAssertEqual(try decode(c), try decode(try baseConfig()))
        text(&c, "rope_theta", nil)
        XCTAssertThrowsError(try decode(c)) { guard case .invalidConfiguration(_, "text_config.rope_theta", _)? = $0 as? Qwen3VLError else { return XCTFail("\($0)") } }
    }

    func testVisionValidation() throws {
        try expectInvalid("vision_config.deepstack_visual_indexes") { self.vision(&$0, "deepstack_visual_indexes", [0, 2]) }
        try expectInvalid("vision_config.num_position_embeddings") { self.vision(&$0, "num_position_embeddings", 20) }
        try expectInvalid("vision_config.out_hidden_size") { self.vision(&$0, "out_hidden_size", 32) }
        try expectInvalid("vision_config.num_heads") { self.vision(&$0, "num_heads", 3) }
        try expectInvalid("vision_config.depth") { self.vision(&$0, "depth", nil) }
        try expectInvalid("image_token_id") { $0["image_token_id"] = 4096 }
    }
}
