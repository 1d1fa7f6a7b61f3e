import XCTest
@testable import Policy

final class SecretDetectorTests: XCTestCase {
    func testDetectsEachKind() {
        let samples: [(String, SecretKind)] = [
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA", .privateKey),
            ("-----BEGIN OPENSSH PRIVATE KEY-----", .privateKey),
            ("-----BEGIN PRIVATE KEY-----", .privateKey),
            ("id AKIAIOSFODNN7EXAMPLE here", .awsAccessKey),
            ("password=hunter22", .credentialAssignment),
            ("export API_KEY: sk-live-abcdef", .credentialAssignment),
            ("token = abc.def.ghi", .credentialAssignment),
            ("4111 1111 1111 1111", .creditCard),
            ("5500-0000-0000-0004", .creditCard),
            ("378282246310005", .creditCard),
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", .jwt),
            ("ghp_" + String(repeating: "a1B2", count: 9), .githubToken),
        ]
        for (text, kind) in samples {
            XCTAssertTrue(SecretDetector.detect(in: text).contains(kind), "\(kind) in \(text)")
        }
    }

    func testLeavesOrdinaryTextAlone() {
        for text in ["Ada Lovelace", "my password is in the manager", "Invoice 2026-11-29, total 1234.50",
                     "4111 1111 1111 1112", "call 0049 30 1234567", "AKIA is a prefix", "eyJ alone", "tokenize this",
                     "1234567890123"] {
            XCTAssertEqual(SecretDetector.detect(in: text), [], text)
        }
    }

    func testLuhn() {
        XCTAssertTrue(SecretDetector.luhnValid([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
        XCTAssertFalse(SecretDetector.luhnValid([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
    }

    func testAllPatternsCompile() {
        for (kind, regex) in SecretDetector.patterns { XCTAssertNotNil(regex, "\(kind)") }
        XCTAssertNotNil(SecretDetector.cardCandidate)
    }

    func testControlCharacters() {
        XCTAssertEqual(TextInspection.controlCharacters(in: "a\tb\nc\u{7f}\u{202e}"), ["U+0009", "U+000A", "U+007F", "U+202E"])
        XCTAssertEqual(TextInspection.controlCharacters(in: "plain text, ü and 日本"), [])
    }
}
