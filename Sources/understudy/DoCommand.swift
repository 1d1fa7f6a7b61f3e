import Actions
import Agent
import ArgumentParser
import Desktop
import Foundation

/// `understudy do [--display :N] [--policy F] [--pixels] ACTION_JSON`: one computer_use action.
struct DoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "do",
        abstract: "Perform one action in the computer_use schema.",
        discussion: """
            ACTION_JSON is either the arguments object, e.g. {"action":"left_click","coordinate":[500,500]}, \
            or the whole tool call {"name":"computer_use","arguments":{...}}. Coordinates are on the 0-1000 \
            grid unless --pixels. Input goes through the agent's DisplayScreen, so scroll/hscroll "pixels" \
            become wheel notches as in `understudy run`; positive scrolls up (scroll) or left (hscroll). \
            Prints a JSON result on stdout; exits non-zero when the action was not performed.
            """)

    @OptionGroup var displayOption: DisplayOption

    @Option(name: .long, help: "Policy file to check the action against.")
    var policy: String?

    @Flag(name: .long, help: "Coordinates are screen pixels, not the 0-1000 grid.")
    var pixels = false

    @Argument(help: "The action as JSON.")
    var actionJSON: String

    func run() throws {
        do {
            try perform()
        } catch {
            try? JSONOutput.print(["ok": false, "error": "\(error)"] as [String: Any])
            StandardError.print("understudy do: \(error)")
            throw ExitCode.failure
        }
    }

    private func perform() throws {
        let action = try Action(json: actionJSON)
        if let policy {
            // The policy engine is wired in later; until then no action may bypass a policy that
            // was asked for.
            throw DoError.policyUnavailable(path: policy)
        }
        let display = try displayOption.open()
        let mapping = GridMapping(width: display.screenSize.width, height: display.screenSize.height)
        let mapped = try pixels ? mapping.checkPixels(action) : mapping.toPixels(action)
        var result: [String: Any] = ["ok": true, "action": action.kind.rawValue,
                                     "screen": [display.screenSize.width, display.screenSize.height]]
        switch mapped {
        case .wait(let seconds):
            result["seconds"] = seconds
            Thread.sleep(forTimeInterval: seconds)
        case .terminate(let status):
            result["status"] = status.rawValue
        case .answer(let text):
            result["text"] = text
        default:
            if let p = mapped.point { result["pixel"] = [Int(p.x), Int(p.y)] }
            if case .key(let chord) = mapped { result["keys"] = chord.keys }
            if case .leftClickDrag = mapped {
                let from = try display.pointerPosition()
                result["from"] = [from.x, from.y]
            }
            // The agent's own input path, so that `do` behaves exactly as a step of `run` does
            // (scroll amounts become wheel notches there, at DisplayScreen.pixelsPerNotch each).
            result["performed"] = try DisplayScreen(display: display).perform(mapped)
        }
        try JSONOutput.print(result)
    }
}

enum DoError: Error, CustomStringConvertible {
    case policyUnavailable(path: String)

    var description: String {
        switch self {
        case .policyUnavailable(let path):
            return "--policy \(path): the policy engine is not available yet; no input was sent"
        }
    }
}
