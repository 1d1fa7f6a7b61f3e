// The demo's deterministic stage: a sandbox definition (Sandboxes/demo-*.toml: the screen size and
// the one real application, with a fixed geometry), a task, the policy that allows exactly that task,
// and the replay transcript whose coordinates were measured on this stage (Sandboxes/demo/README.md).
// `understudy demo` runs the definition sandboxed with a rehearsal display; the end-to-end tests run
// the same definition's command unsandboxed. The demo that ships is the one that is tested.

import Desktop
import Foundation

public struct DemoScenario: Sendable {
    public var name: String
    public var task: String
    /// Repository-relative path of the sandbox definition: the application, its arguments and the
    /// screen size the transcript was measured on.
    public var sandboxPath: String
    /// The title of the application's window (zenity's `--title`).
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
        sandboxPath: "Sandboxes/demo-zenity-entry.toml",
        windowTitle: "Understudy demo",
        policyPath: "Policies/zenity-form.toml",
        transcriptPath: "Sandboxes/demo/zenity-entry.jsonl",
        expectedOutput: "Ada Lovelace")

    /// Fill a two-field zenity form (Customer, Amount) and press OK; zenity prints "customer|amount".
    public static let zenityInvoiceForm = DemoScenario(
        name: "zenity-invoice-form",
        task: "Fill in the invoice form: customer ACME Ltd, amount 1250.00, then confirm with OK.",
        sandboxPath: "Sandboxes/demo-zenity-invoice-form.toml",
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
