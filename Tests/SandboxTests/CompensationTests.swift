import XCTest
@testable import Sandbox

final class CompensationTests: XCTestCase {
    let copyHome = SandboxDefinition.CheckpointStrategy.copyHome(restartAfterRestore: true)

    func testTypedTextIsRemovedKeyByKey() {
        XCTAssertEqual(Compensation.plan(for: .type(text: "Acme"), undoChord: nil, checkpoint: .none),
                       .pressKeys(Array(repeating: "BackSpace", count: 4)))
        // Characters, not bytes or scalars: one BackSpace per grapheme.
        XCTAssertEqual(Compensation.plan(for: .type(text: "é€"), undoChord: nil, checkpoint: .none),
                       .pressKeys(["BackSpace", "BackSpace"]))
        XCTAssertEqual(Compensation.plan(for: .type(text: ""), undoChord: nil, checkpoint: .none), .nothingToUndo)
    }

    func testTextWithANewlineFallsBackToUndoThenCheckpoint() {
        XCTAssertEqual(Compensation.plan(for: .type(text: "ls\n"), undoChord: "ctrl+z", checkpoint: copyHome), .undoChord("ctrl+z"))
        XCTAssertEqual(Compensation.plan(for: .type(text: "a\tb"), undoChord: nil, checkpoint: copyHome), .restoreCheckpoint)
        XCTAssertFalse(Compensation.plan(for: .type(text: "rm\n"), undoChord: nil, checkpoint: .none).isReversible)
    }

    func testClicksAndKeysUseTheUndoChordOrACheckpointOrAreIrreversible() {
        XCTAssertEqual(Compensation.plan(for: .leftClick, undoChord: "ctrl+z", checkpoint: .none), .undoChord("ctrl+z"))
        XCTAssertEqual(Compensation.plan(for: .key(chord: "ctrl+s"), undoChord: nil, checkpoint: copyHome), .restoreCheckpoint)
        let plan = Compensation.plan(for: .doubleClick, undoChord: nil, checkpoint: .none)
        XCTAssertFalse(plan.isReversible)
        XCTAssertEqual(plan, .irreversible(reason: "no undo chord and no checkpoint strategy in the sandbox definition"))
        XCTAssertEqual(Compensation.plan(for: .key(chord: "Ctrl+Z"), undoChord: "ctrl+z", checkpoint: .none),
                       .irreversible(reason: "the action is the undo chord itself"))
    }

    func testScrollIsScrolledBackAndMotionNeedsNothing() {
        XCTAssertEqual(Compensation.plan(for: .scroll(pixels: 120), undoChord: nil, checkpoint: .none),
                       .scrollBack(pixels: -120, horizontal: false))
        XCTAssertEqual(Compensation.plan(for: .hscroll(pixels: -40), undoChord: nil, checkpoint: .none),
                       .scrollBack(pixels: 40, horizontal: true))
        for action: StepAction in [.mouseMove, .wait, .answer, .terminate] {
            XCTAssertEqual(Compensation.plan(for: action, undoChord: nil, checkpoint: .none), .nothingToUndo, action.name)
        }
    }

    func testNamesMirrorTheComputerUseSchema() {
        XCTAssertEqual(StepAction.leftClickDrag.name, "left_click_drag")
        XCTAssertEqual(StepAction.type(text: "x").name, "type")
    }

    func testDriftThreshold() {
        XCTAssertTrue(DriftMeasure(changedFraction: 0.2, region: nil, threshold: 0.05).exceeded)
        XCTAssertFalse(DriftMeasure(changedFraction: 0.01, region: nil, threshold: 0.05).exceeded)
    }
}
