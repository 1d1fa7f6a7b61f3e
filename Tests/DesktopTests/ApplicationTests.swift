import Foundation
import XCTest
@testable import Desktop
import Imaging

/// Real applications under openbox on a private Xvfb. Each test's oracle is the application's own
/// output: what zenity prints, what galculator copies, what xterm selects.
final class ApplicationTests: XCTestCase {
    var desk: DesktopHarness!

    override func setUpWithError() throws { desk = try DesktopHarness(windowManager: true) }
    override func tearDown() { desk?.close() }

    /// Launches, waits for the window to be mapped, focused (openbox focuses new windows) and drawn.
    private func start(_ executable: String, _ arguments: [String]) throws -> (App, WindowInfo) {
        let app = try desk.launch(executable, arguments)
        let window = try desk.window(of: app)
        try desk.waitFor("\(executable) to have the focus") { try desk.display.focusedWindow()?.pid == app.pid }
        try desk.waitUntilStill(region: window.frame)
        return (app, window)
    }

    /// A point inside `window`, given in its own coordinates.
    private func point(_ window: WindowInfo, _ x: Int, _ y: Int) -> ScreenPoint {
        ScreenPoint(x: window.frame.x + x, y: window.frame.y + y)
    }

    /// zenity's OK button: the right one of the two equal buttons along the bottom edge.
    private func okButton(_ window: WindowInfo) -> ScreenPoint {
        ScreenPoint(x: window.frame.maxX - window.frame.width / 4, y: window.frame.maxY - 25)
    }

    func testZenityEntryTakesUnicodeTextConfirmedByClickingOK() throws {
        let text = "é ü ß 日本 ✓ 😀"
        let (app, window) = try start("zenity", ["--entry", "--title", "Unicode", "--text", "Name"])
        try desk.display.type(text)
        try desk.display.click(.left, at: okButton(window), count: 1)
        let (status, out) = try app.waitForExit(timeout: 10)
        XCTAssertEqual(status, 0, app.stderrText)
        XCTAssertEqual(out, text + "\n")
    }

    func testChordsEditZenityEntry() throws {
        let (app, window) = try start("zenity", ["--entry", "--title", "Chords", "--text", "Edit", "--entry-text", "old text"])
        try desk.display.pressChord(["ctrl", "a"]) // select all …
        try desk.display.type("hello world")                            // … and replace it
        try desk.display.pressChord(["ctrl", "BackSpace"]) // delete the last word
        try desk.display.pressChord(["shift", "Home"]) // select back to the start …
        try desk.display.pressChord(["ctrl", "c"])                      // … copy it
        try desk.display.pressChord(["End"])
        try desk.display.pressChord(["ctrl", "v"])                      // and paste it at the end
        try desk.waitUntilStill(region: window.frame)                   // a paste may complete late
        try desk.display.pressChord(["Return"])
        let (status, out) = try app.waitForExit(timeout: 10)
        XCTAssertEqual(status, 0, app.stderrText)
        XCTAssertEqual(out, "hello hello \n")
    }

    /// 12 × 34 = 408, clicked on galculator's buttons and read back from the clipboard after the
    /// application's own Copy (ctrl+c), never from pixels.
    func testGalculatorComputationClickedAndReadBack() throws {
        let (_, window) = try start("galculator", [])
        // Button centres in galculator's basic mode, as fractions of its 331x343 client window.
        func button(_ x: Double, _ y: Double) -> ScreenPoint {
            point(window, Int(x / 331 * Double(window.frame.width)), Int(y / 343 * Double(window.frame.height)))
        }
        let keys: [String: ScreenPoint] = [
            "1": button(35, 279), "2": button(99, 279), "3": button(164, 279), "4": button(35, 239),
            "*": button(230, 239), "=": button(308, 299),
        ]
        for key in ["1", "2", "*", "3", "4", "="] {
            try desk.display.click(.left, at: try XCTUnwrap(keys[key]), count: 1)
            usleep(30_000)
        }
        try desk.display.pressChord(["ctrl", "c"])
        var copied: String?
        try desk.waitFor("galculator to copy its result", timeout: 5) {
            copied = try desk.display.selectionText("CLIPBOARD")
            return copied != nil
        }
        XCTAssertEqual(copied?.trimmingCharacters(in: .whitespacesAndNewlines), "408")
    }

    /// Drag selects a line in xterm; double click a word; triple click the line. xterm owns
    /// PRIMARY with what it selected.
    func testXtermSelectionByDragDoubleAndTripleClick() throws {
        let (_, window) = try start("xterm", ["-geometry", "80x10", "-e", "sh", "-c", "printf 'alpha beta gamma'; sleep 60"])
        let cell = (w: Double(window.frame.width - 4) / 80, h: Double(window.frame.height - 4) / 10)
        func at(column: Double, row: Double = 0.5) -> ScreenPoint {
            point(window, 2 + Int(column * cell.w), 2 + Int(row * cell.h))
        }
        try desk.display.drag(from: at(column: 0.2), to: at(column: 40))
        // Dragging past the end of the line takes its newline too.
        try desk.waitFor("xterm to own PRIMARY with the dragged-over line", timeout: 5) {
            try desk.display.selectionText("PRIMARY") == "alpha beta gamma\n"
        }

        try desk.display.click(.left, at: at(column: 7.5), count: 2)
        try desk.waitFor("a double click to select \"beta\"", timeout: 5) { try desk.display.selectionText("PRIMARY") == "beta" }

        try desk.display.click(.left, at: at(column: 13.5), count: 3)
        try desk.waitFor("a triple click to select the line", timeout: 5) {
            try desk.display.selectionText("PRIMARY")?.trimmingCharacters(in: .whitespacesAndNewlines) == "alpha beta gamma"
        }
        XCTAssertEqual(try desk.display.selectionText("PRIMARY")?.trimmingCharacters(in: .whitespacesAndNewlines), "alpha beta gamma")
    }

    /// Scrolling a 100-row list moves later rows under the pointer: a double click there then
    /// activates a row after row 2, which zenity prints.
    func testWheelScrollsZenityListThenDoubleClickPicksALaterRow() throws {
        let (app, window) = try start("zenity", ["--list", "--title", "Rows", "--column", "Row", "--width", "300",
                                                 "--height", "300"] + (1...100).map(String.init))
        let secondRow = point(window, 60, 73 + 23)
        try desk.display.scroll(.down, steps: 5, at: secondRow)
        try desk.waitUntilStill(region: window.frame)
        try desk.display.click(.left, at: secondRow, count: 2)
        let (status, out) = try app.waitForExit(timeout: 10)
        XCTAssertEqual(status, 0, app.stderrText)
        let row = try XCTUnwrap(Int(out.trimmingCharacters(in: .whitespacesAndNewlines)), out)
        XCTAssertGreaterThan(row, 3, "5 wheel notches down should have moved the list")
    }

    /// Horizontal wheel moves a list wider than its window; the opposite direction restores it.
    func testHorizontalWheelScrollsWideList() throws {
        let wide = (0..<40).map { "column\($0)" }.joined(separator: " ")
        let (app, window) = try start("zenity", ["--list", "--title", "Wide", "--column", "Text", "--width", "300",
                                                 "--height", "250", wide, "second row"])
        let list = PixelRect(x: window.frame.x + 10, y: window.frame.y + 60, width: window.frame.width - 20, height: 60)
        let before = try desk.display.capture(region: list)
        try desk.display.scroll(.right, steps: 5, at: ScreenPoint(x: list.x + list.width / 2, y: list.y + 30))
        try desk.waitUntilStill(region: list)
        let scrolled = try desk.display.capture(region: list)
        let diff = try before.difference(from: scrolled)
        XCTAssertGreaterThan(diff.changedPixels, 50, "scrolling right changed the list's pixels")
        try desk.display.scroll(.left, steps: 20, at: nil)
        try desk.waitUntilStill(region: list)
        XCTAssertEqual(try desk.display.capture(region: list).difference(from: before, threshold: 8).changedPixels, 0,
                       "scrolling back left restores the first view")
        XCTAssertTrue(app.isRunning)
    }

    /// The first zenity selects its initial text, which makes it the PRIMARY owner; a middle
    /// click into the second one's entry pastes that text, which the second prints.
    func testMiddleClickPastesPrimaryIntoAnotherZenity() throws {
        let (source, _) = try start("zenity", ["--entry", "--title", "Source", "--text", "From", "--entry-text", "from-primary"])
        try desk.waitFor("the first zenity to own PRIMARY") { try desk.display.selectionText("PRIMARY") == "from-primary" }
        let (target, window) = try start("zenity", ["--entry", "--title", "Target", "--text", "To"])
        // The entry field sits across the middle of the dialog, 52 px below its top (measured).
        let field = PixelRect(x: window.frame.x + 20, y: window.frame.y + 40, width: window.frame.width - 40, height: 24)
        let empty = try desk.display.capture(region: field)
        try desk.display.click(.middle, at: point(window, window.frame.width / 2, 52), count: 1)
        // The paste is asynchronous (the target asks the source through the server): wait until
        // text shows before confirming, or Return may overtake it.
        try desk.waitFor("the pasted text to show") { try desk.display.capture(region: field) != empty }
        try desk.waitUntilStill(region: field)
        try desk.display.pressChord(["Return"])
        let (status, out) = try target.waitForExit(timeout: 10)
        XCTAssertEqual(status, 0, target.stderrText)
        XCTAssertEqual(out, "from-primary\n")
        XCTAssertTrue(source.isRunning)
    }

    /// A right click on zenity's entry opens its context menu: a new window of zenity's, as the
    /// server reports it; Escape closes it again.
    func testRightClickOpensContextMenu() throws {
        let (app, window) = try start("zenity", ["--entry", "--title", "Menu", "--text", "Right"])
        let before = try desk.display.windows().filter { $0.pid == app.pid }.count
        try desk.display.click(.right, at: point(window, window.frame.width / 2, 52), count: 1)
        try desk.waitFor("zenity's context menu") { try desk.display.windows().filter { $0.pid == app.pid }.count > before }
        try desk.display.pressChord(["Escape"])
        try desk.waitFor("the context menu to close") { try desk.display.windows().filter { $0.pid == app.pid }.count == before }
        XCTAssertTrue(app.isRunning)
    }

    func testWindowListNamesZenityClassExecutableAndPid() throws {
        let (app, window) = try start("zenity", ["--info", "--title", "Owner test", "--text", "hello"])
        let listed = try desk.display.windows()
        let zenity = try XCTUnwrap(listed.first { $0.className == "Zenity" }, "\(listed)")
        XCTAssertEqual(zenity.instanceName, "zenity")
        XCTAssertEqual(zenity.title, "Owner test")
        XCTAssertEqual(zenity.pid, app.pid)
        XCTAssertEqual(zenity.executable, "/usr/bin/zenity")
        XCTAssertTrue(zenity.isFocused)
        XCTAssertEqual(try desk.display.focusedWindow()?.id, zenity.id)
        let center = ScreenPoint(x: window.frame.x + window.frame.width / 2, y: window.frame.y + window.frame.height / 2)
        XCTAssertEqual(try desk.display.window(at: center)?.id, zenity.id)
        // The window manager's own windows are owned by openbox, as the server sees it.
        XCTAssertTrue(listed.contains { $0.executable == "/usr/bin/openbox" }, "\(listed)")
    }
}
