import Actions
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
            grid unless --pixels. scroll/hscroll "pixels" count wheel notches, as the upstream \
            implementation (pyautogui.scroll) does; positive scrolls up (scroll) or left (hscroll). \
            Prints a JSON result on stdout; exits non-zero when the action was not performed.
            """)

    @OptionGroup var displayOption: DisplayOption

    @Option(name: .long, help: "Policy file to check the action against.")
    var policy: String?

    @Flag(name: .long, help: "Coordinates are screen pixels, not the 0-1000 grid.")
    var pixels = false

    @Argument(help: "The action as JSON.")
    var actionJSON: String

    /// The most wheel notches one action may turn.
    static let maximumNotches = 200

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
        func point(_ p: Point?) -> ScreenPoint? {
            guard let p else { return nil }
            result["pixel"] = [Int(p.x), Int(p.y)]
            return ScreenPoint(x: Int(p.x), y: Int(p.y))
        }
        func notches(_ amount: Double) throws -> Int {
            let n = max(1, Int(abs(amount).rounded()))
            guard n <= DoCommand.maximumNotches else { throw DoError.scrollTooFar(amount: amount, limit: DoCommand.maximumNotches) }
            result["notches"] = n
            return n
        }
        switch mapped {
        case .key(let chord):
            result["keys"] = chord.keys
            try display.pressChord(chord.keys)
        case .type(let text):
            result["characters"] = text.unicodeScalars.count
            try display.type(text)
        case .mouseMove(let p):
            if let p = point(p) { try display.movePointer(to: p) }
        case .leftClick(let p):
            try display.click(.left, at: point(p), count: 1)
        case .rightClick(let p):
            try display.click(.right, at: point(p), count: 1)
        case .middleClick(let p):
            try display.click(.middle, at: point(p), count: 1)
        case .doubleClick(let p):
            try display.click(.left, at: point(p), count: 2)
        case .tripleClick(let p):
            try display.click(.left, at: point(p), count: 3)
        case .leftClickDrag(let to):
            if let to = point(to) {
                let from = try display.pointerPosition()
                result["from"] = [from.x, from.y]
                try display.drag(from: nil, to: to)
            }
        case .scroll(let amount, let p):
            try display.scroll(amount > 0 ? .up : .down, steps: notches(amount), at: point(p))
        case .hscroll(let amount, let p):
            try display.scroll(amount > 0 ? .left : .right, steps: notches(amount), at: point(p))
        case .wait(let seconds):
            result["seconds"] = seconds
            Thread.sleep(forTimeInterval: seconds)
        case .terminate(let status):
            result["status"] = status.rawValue
        case .answer(let text):
            result["text"] = text
        }
        try JSONOutput.print(result)
    }
}

enum DoError: Error, CustomStringConvertible {
    case policyUnavailable(path: String)
    case scrollTooFar(amount: Double, limit: Int)

    var description: String {
        switch self {
        case .policyUnavailable(let path):
            return "--policy \(path): the policy engine is not available yet; no input was sent"
        case .scrollTooFar(let amount, let limit):
            return "scroll of \(amount) notches exceeds the limit of \(limit) per action"
        }
    }
}
