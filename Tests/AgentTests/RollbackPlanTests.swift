// Reversibility before the policy decides: the compensation plan (typed text → BackSpaces, the
// definition's undo chord) or a checkpoint strategy makes an action reversible; otherwise it is
// irreversible and a policy rule `irreversible = true` applies.

import XCTest
@testable import Agent
import Actions
import Policy
import Sandbox

final class RollbackPlanTests: XCTestCase {
    func definition(_ extra: String) throws -> SandboxDefinition {
        try SandboxDefinition(toml: "name = \"t\"\n[app]\ncommand = [\"/usr/bin/zenity\", \"--entry\"]\n" + extra, baseDirectory: "/")
    }

    func testReversibilityFollowsTheCompensationPlanAndTheCheckpointStrategy() throws {
        let bare = try definition("[checkpoint]\nstrategy = \"none\"\n")
        let save = Action.key(try KeyChord(parsing: "ctrl+s"))
        XCTAssertTrue(RollbackController.reversible(.type("abc"), definition: bare), "BackSpaces undo plain text")
        XCTAssertFalse(RollbackController.reversible(.type("abc\n"), definition: bare), "a newline may have submitted something")
        XCTAssertFalse(RollbackController.reversible(save, definition: bare))
        XCTAssertTrue(RollbackController.reversible(.scroll(pixels: 200, at: nil), definition: bare))
        let undo = try definition("[undo]\nchord = \"ctrl+z\"\n[checkpoint]\nstrategy = \"none\"\n")
        XCTAssertTrue(RollbackController.reversible(save, definition: undo))
        XCTAssertFalse(RollbackController.reversible(.key(try KeyChord(parsing: "Control_L+z")), definition: undo),
                       "the undo chord itself has no compensation without a checkpoint")
        XCTAssertTrue(RollbackController.reversible(save, definition: try definition("")), "copy-home checkpoints by default")
    }

    func testThePolicySeesIrreversibleActions() throws {
        let policy = try Policy(toml: """
            policy = "p"
            [[rule]]
            id = "permit-keys"
            effect = "permit"
            actions = ["key"]
            [[rule]]
            id = "ask-irreversible"
            effect = "ask"
            actions = ["key"]
            irreversible = true
            """)
        var context = ActionContext(screenWidth: 100, screenHeight: 100, target: nil, focused: nil, steps: 0,
                                    typedCharacters: 0, elapsedSeconds: 0)
        let save = Action.key(try KeyChord(parsing: "ctrl+s"))
        context.irreversible = true
        XCTAssertEqual(try PolicyAuthorizer(policy: policy).authorize(save, context: context).verdict, .ask)
        context.irreversible = false
        XCTAssertEqual(try PolicyAuthorizer(policy: policy).authorize(save, context: context).verdict, .allow)
    }

    // Regression: an undo chord that did not parse was skipped with `try?`, so the plan still pressed
    // it at rollback time, where it failed; now it is an error before the action runs.
    func testAnUndoChordThatDoesNotParseIsAnErrorNotAChordThatNeverMatches() throws {
        let broken = try definition("[undo]\nchord = \"ctrl+$$\"\n[checkpoint]\nstrategy = \"none\"\n")
        let save = Action.key(try KeyChord(parsing: "ctrl+s"))
        XCTAssertThrowsError(try RollbackController.stepAction(save, undoChord: broken.undoChord)) {
            XCTAssertTrue("\($0)".contains("ctrl+$$"), "\($0)")
        }
        XCTAssertFalse(RollbackController.reversible(save, definition: broken), "fail safe: the policy sees it as irreversible")
        XCTAssertTrue(RollbackController.reversible(save, definition: try definition("[undo]\nchord = \"ctrl+z\"\n[checkpoint]\nstrategy = \"none\"\n")))
    }
}
