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
