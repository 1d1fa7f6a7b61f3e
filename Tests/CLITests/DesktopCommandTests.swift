import Foundation
import Imaging
import XCTest

/// `understudy screenshot`, `windows`, `do` and `bench desktop` as a user runs them.
final class DesktopCommandTests: XCTestCase {
    var x: XServer!

    override func setUpWithError() throws { x = try XServer(width: 1024, height: 768) }
    override func tearDown() { x?.stop() }

    func testScreenshotToFileAndToStdout() throws {
        let out = x.directory + "/shot.png"
        let r = try CLI.run(["screenshot", "--display", x.display, "--out", out], environment: x.environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try r.json()
        XCTAssertEqual(summary["width"] as? Int, 1024)
        XCTAssertEqual(summary["height"] as? Int, 768)
        XCTAssertEqual(summary["capture"] as? String, "xshm")
        let file = try Image(contentsOfPNGFile: out)
        XCTAssertEqual(file.width, 1024)
        XCTAssertEqual(file.height, 768)

        let piped = try CLI.run(["screenshot", "--region", "30x20+5+7"], environment: x.environment)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        let image = try Image(pngData: [UInt8](piped.stdout))
        XCTAssertEqual(image.width, 30)
        XCTAssertEqual(image.height, 20)
        XCTAssertEqual(image, try file.cropped(to: PixelRect(x: 5, y: 7, width: 30, height: 20)))

        let bad = try CLI.run(["screenshot", "--region", "30x20+1000+7", "--out", out], environment: x.environment)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("not inside"), bad.stderr)
    }

    func testWindowsJSONNamesZenityClassAndExecutable() throws {
        let zenity = try x.launch("zenity", ["--info", "--title", "CLI windows", "--text", "hi"])
        var entry: [String: Any]?
        try x.waitFor("zenity in `understudy windows --json`") {
            let r = try CLI.run(["windows", "--json"], environment: x.environment)
            let list = try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]] ?? []
            entry = list.first { $0["class"] as? String == "Zenity" && ($0["width"] as? Int ?? 0) > 50 }
            return entry != nil
        }
        XCTAssertEqual(entry?["executable"] as? String, "/usr/bin/zenity")
        XCTAssertEqual(entry?["pid"] as? Int, Int(zenity.processIdentifier))
        XCTAssertEqual(entry?["instance"] as? String, "zenity")
        XCTAssertEqual(entry?["title"] as? String, "CLI windows")
        let (ex, ey) = (try XCTUnwrap(entry?["x"] as? Int), try XCTUnwrap(entry?["y"] as? Int))
        let hit = try CLI.run(["windows", "--json", "--at", "\(ex + 10),\(ey + 10)"], environment: x.environment)
        XCTAssertEqual(hit.status, 0, hit.stderr)
        let hits = try JSONSerialization.jsonObject(with: hit.stdout) as? [[String: Any]]
        XCTAssertEqual(hits?.count, 1)
        XCTAssertEqual(hits?.first?["pid"] as? Int, Int(zenity.processIdentifier))
        let miss = try CLI.run(["windows", "--json", "--at", "1,1"], environment: x.environment)
        XCTAssertEqual(miss.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "[]")
        XCTAssertNotEqual(try CLI.run(["windows", "--at", "nowhere"], environment: x.environment).status, 0)
        let text = try CLI.run(["windows", "--display", x.display], environment: x.environment)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdoutText.contains("Zenity  pid \(zenity.processIdentifier) /usr/bin/zenity"), text.stdoutText)
    }

    /// One action per `understudy do`: move onto zenity (grid coordinates), type, click OK
    /// (pixels, whole tool-call form). zenity prints what was typed.
    func testDoDrivesZenityEntry() throws {
        let printed = x.directory + "/zenity.out"
        let zenity = try x.launch("zenity", ["--entry", "--title", "CLI do", "--text", "Name"], stdout: printed)
        var frame: (x: Int, y: Int, w: Int, h: Int)?
        try x.waitFor("zenity's entry window") {
            let r = try CLI.run(["windows", "--json"], environment: x.environment)
            let list = try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]] ?? []
            guard let w = list.first(where: { $0["class"] as? String == "Zenity" && ($0["width"] as? Int ?? 0) > 50 }),
                  let fx = w["x"] as? Int, let fy = w["y"] as? Int, let fw = w["width"] as? Int, let fh = w["height"] as? Int
            else { return false }
            frame = (fx, fy, fw, fh)
            return true
        }
        let f = try XCTUnwrap(frame)
        // The window is mapped before GTK has drawn it: wait until two captures agree.
        let region = "\(f.w)x\(f.h)+\(f.x)+\(f.y)"
        var last = Data()
        try x.waitFor("zenity to finish drawing") {
            let shot = try CLI.run(["screenshot", "--region", region], environment: x.environment).stdout
            defer { last = shot }
            return !shot.isEmpty && shot == last
        }
        // No window manager: keys go to the window under the pointer.
        let cx = f.x + f.w / 2, cy = f.y + f.h / 2
        let gx = (Double(cx) + 0.5) * 1000 / 1024, gy = (Double(cy) + 0.5) * 1000 / 768
        let move = try CLI.run(["do", "{\"action\":\"mouse_move\",\"coordinate\":[\(gx),\(gy)]}"], environment: x.environment)
        XCTAssertEqual(move.status, 0, move.stderr)
        XCTAssertEqual(try move.json()["pixel"] as? [Int], [cx, cy])

        let type = try CLI.run(["do", "--display", x.display, #"{"action":"type","text":"héllo ✓ 日本"}"#], environment: x.environment)
        XCTAssertEqual(type.status, 0, type.stderr)
        XCTAssertEqual(try type.json()["ok"] as? Bool, true)

        let ok = (x: f.x + f.w - f.w / 4, y: f.y + f.h - 25)
        let click = try CLI.run(["do", "--pixels",
                                 "{\"name\":\"computer_use\",\"arguments\":{\"action\":\"left_click\",\"coordinate\":[\(ok.x),\(ok.y)]}}"],
                                environment: x.environment)
        XCTAssertEqual(click.status, 0, click.stderr)
        XCTAssertEqual(try click.json()["action"] as? String, "left_click")
        try x.waitFor("zenity to exit after OK", timeout: 10) { !zenity.isRunning }
        XCTAssertEqual(zenity.terminationStatus, 0)
        XCTAssertEqual(String(decoding: FileManager.default.contents(atPath: printed) ?? Data(), as: UTF8.self), "héllo ✓ 日本\n")
    }

    func testDoRefusesWithoutSendingInput() throws {
        // --policy: not wired yet, so nothing may happen.
        let policy = try CLI.run(["do", "--policy", "p.toml", #"{"action":"left_click","coordinate":[500,500]}"#],
                                 environment: x.environment)
        XCTAssertNotEqual(policy.status, 0)
        XCTAssertEqual(try policy.json()["ok"] as? Bool, false)
        XCTAssertTrue(policy.stderr.contains("policy engine is not available yet"), policy.stderr)

        for (args, needle) in [
            (["do", #"{"action":"left_click","coordinate":[1001,5]}"#], "outside"),
            (["do", "--pixels", #"{"action":"left_click","coordinate":[1024,5]}"#], "outside"),
            (["do", #"{"action":"fly"}"#], "unknown action"),
            (["do", #"{"action":"left_click","coordinate":[1,2],"text":"x"}"#], "does not take"),
            (["do", "not json"], "invalid JSON"),
            (["do", #"{"name":"other_tool","arguments":{"action":"wait","time":1}}"#], "unknown tool"),
            (["do", #"{"action":"scroll","pixels":0}"#], "non-zero"),
        ] {
            let r = try CLI.run(args, environment: x.environment)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertEqual(try r.json()["ok"] as? Bool, false, "\(args)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        let scroll = try CLI.run(["do", #"{"action":"scroll","pixels":-500,"coordinate":[500,500]}"#], environment: x.environment)
        XCTAssertEqual(scroll.status, 0, scroll.stderr)
        XCTAssertEqual(try scroll.json()["pixel"] as? [Int], [512, 384])
        XCTAssertEqual(try scroll.json()["performed"] as? [String], ["scroll down 5 notches at (512, 384)"])
        let answer = try CLI.run(["do", #"{"action":"answer","text":"42"}"#], environment: x.environment)
        XCTAssertEqual(answer.status, 0, answer.stderr)
        XCTAssertEqual(try answer.json()["text"] as? String, "42")
    }

    func testBenchDesktopReportsEveryMeasurement() throws {
        let r = try CLI.run(["bench", "desktop", "--iterations", "5", "--json"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try r.json()
        for key in ["capture_xshm", "capture_xgetimage", "png_encode_level1", "click_to_changed_pixel"] {
            let m = try XCTUnwrap(report[key] as? [String: Any], "\(key) missing: \(report)")
            XCTAssertGreaterThan(m["median_ms"] as? Double ?? 0, 0, key)
        }
        XCTAssertEqual(report["screen"] as? [Int], [1280, 800])
        XCTAssertEqual(report["click_timeouts"] as? Int, 0)
    }
}
