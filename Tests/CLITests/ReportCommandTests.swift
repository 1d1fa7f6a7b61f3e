import Foundation
import XCTest

/// `understudy report RUN_DIR` on a real run (the demo): one HTML page with every step, the decisions,
/// the screenshots embedded, the model's text escaped; a tampered log is flagged and exits 1.
final class ReportCommandTests: XCTestCase {
    func testReportOfTheDemoRunAndOfATamperedLog() throws {
        for tool in ["Xvfb", "zenity", "bwrap"] where (try? CLI.which(tool)) == nil { throw XCTSkip("\(tool) is not installed") }
        let runDir = temporaryPath("run"), key = temporaryPath("key")
        let demo = try CLI.run(["demo", "--run-dir", runDir, "--key", key], timeout: 120)
        XCTAssertEqual(demo.status, 0, demo.stderr)

        let report = try CLI.run(["report", runDir])
        XCTAssertEqual(report.status, 0, report.stderr)
        let json = try report.json()
        XCTAssertEqual(json["report"] as? String, runDir + "/report.html")
        XCTAssertEqual(json["intact"] as? Bool, true)
        XCTAssertEqual(json["steps"] as? Int, 4)
        let html = try String(contentsOfFile: runDir + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("The audit log verifies"))
        for step in 1...4 { XCTAssertTrue(html.contains("<h2>Step \(step)</h2>"), "step \(step)") }
        // Each step's screenshot is embedded; the model's reply is shown as text, never as markup.
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 4)
        XCTAssertTrue(html.contains("&lt;tool_call&gt;"))
        XCTAssertFalse(html.contains("<tool_call>"))
        XCTAssertTrue(html.contains("Ada Lovelace"))
        XCTAssertTrue(html.contains("type allow\">decision: allow"), "decisions are labelled with their verdict")
        XCTAssertTrue(html.contains(">isolation<"), "the isolation checks are in the session section")

        // Flip one byte of a record: the page is still written, flagged, and the command exits 1.
        let logPath = runDir + "/audit.jsonl"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: logPath)))
        let target = try XCTUnwrap(String(decoding: bytes, as: UTF8.self).range(of: "Ada Lovelace"))
        let offset = String(decoding: bytes, as: UTF8.self).utf8.distance(from: String(decoding: bytes, as: UTF8.self).startIndex, to: target.lowerBound)
        bytes[offset] = UInt8(ascii: "E")
        try Data(bytes).write(to: URL(fileURLWithPath: logPath))
        let tampered = try CLI.run(["report", runDir])
        XCTAssertEqual(tampered.status, 1, tampered.stderr)
        XCTAssertEqual(try tampered.json()["intact"] as? Bool, false)
        XCTAssertTrue(try String(contentsOfFile: runDir + "/report.html", encoding: .utf8).contains("does NOT verify"))

        let missing = try CLI.run(["report", runDir + "/nothing-here"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
    }
}
