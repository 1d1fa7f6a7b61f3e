// The demo's deterministic stage: a fixed screen size, one real application with a fixed geometry,
// a task, the policy that allows exactly that task, and the replay transcript whose coordinates were
// measured on this stage (Sandboxes/demo/README.md). `understudy demo` and the end-to-end tests
// share it, so the demo that ships is the one that is tested.

import Desktop
import Foundation

public struct DemoScenario: Sendable {
    public var name: String
    public var task: String
    public var screenWidth = 1280
    public var screenHeight = 800
    /// The application and its arguments (run with the private display's DISPLAY and XAUTHORITY).
    public var executable: String
    public var arguments: [String]
    /// The window to wait for before the session starts.
    public var windowTitle: String
    /// Repository-relative paths.
    public var policyPath: String
    public var transcriptPath: String
    /// What the application prints on stdout when the task was done right.
    public var expectedOutput: String

    /// Fill a zenity entry with a name and press OK; zenity prints the name.
    public static let zenityEntry = DemoScenario(
        name: "zenity-entry",
        task: "Enter the name Ada Lovelace in the dialog and confirm it with OK.",
        executable: "/usr/bin/zenity",
        arguments: ["--entry", "--title", "Understudy demo", "--text", "Your name:", "--width", "400", "--height", "160"],
        windowTitle: "Understudy demo",
        policyPath: "Policies/zenity-form.toml",
        transcriptPath: "Sandboxes/demo/zenity-entry.jsonl",
        expectedOutput: "Ada Lovelace")

    /// Fill a two-field zenity form (Customer, Amount) and press OK; zenity prints "customer|amount".
    public static let zenityInvoiceForm = DemoScenario(
        name: "zenity-invoice-form",
        task: "Fill in the invoice form: customer ACME Ltd, amount 1250.00, then confirm with OK.",
        executable: "/usr/bin/zenity",
        arguments: ["--forms", "--title", "Invoice", "--text", "New invoice", "--add-entry", "Customer",
                    "--add-entry", "Amount", "--width", "420", "--height", "220"],
        windowTitle: "Invoice",
        policyPath: "Policies/zenity-form.toml",
        transcriptPath: "Sandboxes/demo/zenity-invoice-form.jsonl",
        expectedOutput: "ACME Ltd|1250.00")

    public static let all = [zenityEntry, zenityInvoiceForm]

    /// Finds the repository folder that holds `path`: the current directory, or a folder above the
    /// running executable (`.build/debug/understudy`).
    public static func locate(_ path: String, executable: String = CommandLine.arguments.first ?? "") -> String? {
        var candidates = [FileManager.default.currentDirectoryPath]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        for base in candidates {
            let full = (base as NSString).appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: full) { return full }
        }
        return nil
    }
}

/// A running application on a private display, with its stdout captured.
public final class StagedApplication {
    public let process: Process
    private let output = Pipe()
    private let errors = Pipe()

    public init(executable: String, arguments: [String], environment: [String: String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = environment
        // Keep the application off the session bus and accessibility bus of whoever runs us.
        env["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
        env["NO_AT_BRIDGE"] = "1"
        env["GTK_A11Y"] = "none"
        process.environment = env
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw AgentError.configuration("cannot start \(executable): \(error)")
        }
    }

    /// Waits until a window whose title contains `title`, owned by this process, is mapped.
    public func waitForWindow(titled title: String, on display: Display, timeout: Double = 15) throws -> WindowInfo {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { throw AgentError.configuration("\(process.executableURL?.path ?? "application") exited early") }
            if let w = try display.windows().first(where: { ($0.title ?? "").contains(title) && $0.pid == process.processIdentifier }) {
                return w
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw AgentError.configuration("no window titled \"\(title)\" within \(timeout) s")
    }

    /// Gives the window keyboard focus the way a window manager would when it maps a window. The
    /// stage has no window manager, so X leaves focus at PointerRoot (keys go to the window under
    /// the pointer); the stage therefore parks the pointer over the window before the session starts.
    /// This is set-up of the stage, before the audit log exists, not an action of the agent.
    public func focus(_ window: WindowInfo, on display: Display) throws {
        try display.movePointer(to: ScreenPoint(x: window.frame.x + window.frame.width / 2,
                                                y: window.frame.y + window.frame.height / 2))
    }

    /// Waits (bounded) for the application to exit and returns its stdout; nil if it is still running.
    public func finish(timeout: Double = 5) -> (status: Int32, output: String)? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    deinit { stop() }
}
