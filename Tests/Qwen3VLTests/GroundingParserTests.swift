import XCTest
@testable import Qwen3VL

final class GroundingParserTests: XCTestCase {
    func testFencedListOfBoxes() throws {
        let answer = """
        ```json
        [
        \t{"bbox_2d": [74, 361, 324, 808], "label": "plate/dish"},
        \t{"bbox_2d": [162, 0, 303, 354], "label": "wine bottle"}
        ]
        ```
        """
        let g = try GroundingParser.parse(answer)
        XCTAssertEqual(g.count, 2)
        XCTAssertEqual(g[0].box, GridBox(x1: 74, y1: 361, x2: 324, y2: 808))
        XCTAssertEqual(g[1].label, "wine bottle")
    }

    func testBareObjectAndTextAround() throws {
        let g = try GroundingParser.parse(#"The button is here: {"point_2d": [500, 250], "label": "OK"} — done."#)
        XCTAssertEqual(g, [Grounding(label: "OK", point: GridPoint(x: 500, y: 250), box: nil)])
        let both = try GroundingParser.parse(#"[{"point_2d": [1, 2], "bbox_2d": [0, 0, 10, 10.5]}]"#)
        XCTAssertEqual(both[0].box?.y2, 10.5)
        XCTAssertNil(both[0].label)
    }

    /// Generation stopped mid-answer: complete elements survive, the partial one is dropped.
    func testTruncatedListKeepsCompleteElements() throws {
        let cut = "```json\n[{\"point_2d\": [10, 20], \"label\": \"a\"}, {\"point_2d\": [30, 4"
        XCTAssertEqual(try GroundingParser.parse(cut).map(\.label), ["a"])
        let cutAfterComma = "[{\"point_2d\": [10, 20]},"
        XCTAssertEqual(try GroundingParser.parse(cutAfterComma).count, 1)
        let cutInLabel = "[{\"bbox_2d\": [1, 2, 3, 4], \"label\": \"x\"}, {\"bbox_2d\": [1, 2, 3, 4], \"label\": \"unfin"
        XCTAssertEqual(try GroundingParser.parse(cutInLabel).count, 1)
    }

    func testTruncatedBeforeFirstElementIsAnError() {
        for text in ["[{\"point_2d\": [10, 2", "{\"point_2d\": [10, 20]", "```json\n[", "[{\"point_2d\": [10, 20], \"lab"] {
            XCTAssertThrowsError(try GroundingParser.parse(text), text) { error in
                guard case .notAGrounding = error as? Qwen3VLError else { return XCTFail("\(error)") }
            }
        }
    }

    func testGarbageAndWrongTypesAreErrors() {
        let bad = [
            "I cannot see a button in this image.",                         // no JSON at all
            "",
            "[]",                                                           // nothing grounded
            #"[{"label": "x"}]"#,                                           // neither point nor box
            #"[{"point_2d": ["10", "20"]}]"#,                               // strings, not numbers
            #"[{"point_2d": [10]}]"#,                                       // wrong arity
            #"[{"point_2d": [10, 20, 30]}]"#,
            #"[{"bbox_2d": [1, 2, 3]}]"#,
            #"[{"point_2d": [NaN, 20]}]"#,                                  // NaN is not JSON
            #"[{"point_2d": [1e999, 20]}]"#,                                // infinite
            #"[{"point_2d": [1001, 20]}]"#,                                 // off the grid
            #"[{"point_2d": [-1, 20]}]"#,
            #"[{"bbox_2d": [300, 10, 100, 20]}]"#,                          // corners swapped
            #"[{"point_2d": [10, 20], "label": 5}]"#,                       // label not a string
            #"[{"point_2d": [10, 20]}, 7]"#,                                // element not an object
            #"[{"point_2d": [10 20]}]"#,                                    // malformed
            #"[{"point_2d": {"x": 1, "y": 2}}]"#,
            #"[{"point_2d": [+5, 20]}]"#,
        ]
        for text in bad {
            XCTAssertThrowsError(try GroundingParser.parse(text), text) { error in
                guard case .notAGrounding = error as? Qwen3VLError else { return XCTFail("\(text): \(error)") }
            }
        }
    }

    /// The same rule as the agent's GridMapping: pixel = min(size − 1, floor(g·size/1000)).
    func testMappingToOriginalPixels() throws {
        let g = Grounding(label: "x", point: GridPoint(x: 500, y: 1000), box: GridBox(x1: 0, y1: 0, x2: 999, y2: 1000))
        let p = try g.pixels(width: 1280, height: 800)
        XCTAssertEqual(p.point, [640, 799])
        XCTAssertEqual(p.box, [0, 0, 1278, 799])
        XCTAssertEqual(try Grounding.pixel(0.5, size: 3, parameter: "x"), 0)
        XCTAssertEqual(try Grounding.pixel(334, size: 3, parameter: "x"), 1)
        XCTAssertThrowsError(try Grounding.pixel(.nan, size: 3, parameter: "x"))
    }
}
