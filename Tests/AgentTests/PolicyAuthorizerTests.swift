import Foundation
import XCTest
@testable import Actions
@testable import Agent
import Desktop
import Policy

/// The loop's context reaches the shipped policies the way `policy test` cases describe it.
final class PolicyAuthorizerTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testZenityPolicyThroughTheAdapter() throws {
        let policy = try Policy.load(path: PolicyAuthorizerTests.repository.appendingPathComponent("Policies/zenity-form.toml").path)
        let authorizer = PolicyAuthorizer(policy: policy)
        let zenity = window(id: 1, title: "Understudy demo", className: "Zenity", executable: "/usr/bin/zenity",
                            x: 440, y: 320, width: 400, height: 160)
        let xterm = window(id: 2, title: "Terminal", className: "XTerm", executable: "/usr/bin/xterm",
                           x: 0, y: 0, width: 400, height: 300)
        func context(target: WindowInfo?, focused: WindowInfo?) -> ActionContext {
            ActionContext(screenWidth: 1280, screenHeight: 800, target: target, focused: focused, steps: 0,
                          typedCharacters: 0, elapsedSeconds: 0)
        }
        let click = try authorizer.authorize(.leftClick(Point(x: 640, y: 372)), context: context(target: zenity, focused: zenity))
        XCTAssertEqual(click.verdict, .allow)
        XCTAssertEqual(click.ruleIDs, ["permit-zenity-pointer"])
        let chord = try authorizer.authorize(.key(try KeyChord(keys: ["ctrl", "alt", "t"])), context: context(target: nil, focused: zenity))
        XCTAssertEqual(chord.verdict, .deny)
        XCTAssertTrue(chord.ruleIDs.contains("forbid-escape-chords"))
        let typing = try authorizer.authorize(.type("ls\n"), context: context(target: nil, focused: xterm))
        XCTAssertEqual(typing.verdict, .deny)
        let outside = try authorizer.authorize(.leftClick(Point(x: 10, y: 10)), context: context(target: nil, focused: zenity))
        XCTAssertEqual(outside.verdict, .deny)
        XCTAssertEqual(try authorizer.authorize(.terminate(.success), context: context(target: nil, focused: nil)).verdict, .allow)
    }
}
