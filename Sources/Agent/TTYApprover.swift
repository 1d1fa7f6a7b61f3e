// `--approve tty`: asks on the controlling terminal (/dev/tty), never on the display the agent drives.
// The operator sees the action, the rule that asked, and the path of a screenshot with the target
// marked; only a typed "yes" approves. The answer carries the action digest and screenshot hash the
// operator was shown, so the loop can refuse to run anything else with it.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class TTYApprover: Approver, @unchecked Sendable {
    let input: FileHandle
    let output: FileHandle
    let name: String

    /// Opens the controlling terminal. Fails when there is none (a session without a terminal must
    /// use `--approve socket` or `auto`).
    public convenience init(path: String = "/dev/tty") throws {
        let fd = open(path, O_RDWR | O_NOCTTY)
        guard fd >= 0 else {
            throw AgentError.approval("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let device = ttyname(fd).map { String(cString: $0) } ?? path
        self.init(input: handle, output: handle, name: "tty:\(device) uid=\(getuid())")
    }

    public init(input: FileHandle, output: FileHandle, name: String) {
        self.input = input
        self.output = output
        self.name = name
    }

    public func review(_ request: ApprovalRequest) async throws -> ApprovalAnswer {
        output.write(Data(TTYApprover.prompt(for: request).utf8))
        let line = try await Task.detached { [input] in try TTYApprover.readLine(input) }.value
        let approved = line.trimmingWhitespace().lowercased() == "yes"
        output.write(Data((approved ? "approved\n" : "refused\n").utf8))
        return ApprovalAnswer(approved: approved, approver: name, actionDigest: request.actionDigest,
                              screenshotHash: request.screenshotHash)
    }

    static func prompt(for request: ApprovalRequest) -> String {
        if request.kind == .result {
            return ["", "understudy: step \(request.step) ran; review its result",
                    "  action:     \(request.actionJSON)",
                    "  screenshot: \(request.annotatedScreenshotPath ?? "(not written)") (the screen after the step)",
                    "  digest:     action \(request.actionDigest.prefix(16))…, screen \(request.screenshotHash.prefix(16))…",
                    "Type yes to keep this result; anything else rolls the step back: "].joined(separator: "\n")
        }
        var lines = ["", "understudy: step \(request.step) needs your approval"]
        lines.append("  action:     \(request.actionJSON)")
        if let target = request.target { lines.append("  target:     \(target.summary)") }
        let rules = request.ruleIDs.isEmpty ? "(no rule id)" : request.ruleIDs.joined(separator: ", ")
        lines.append("  rule:       \(rules): \(request.reason)")
        lines.append("  screenshot: \(request.annotatedScreenshotPath ?? "(not written)")")
        lines.append("  digest:     action \(request.actionDigest.prefix(16))…, screen \(request.screenshotHash.prefix(16))…")
        lines.append("Type yes to run this action once; anything else refuses it: ")
        return lines.joined(separator: "\n")
    }

    /// One line of at most 1 KiB; end of input counts as a refusal.
    static func readLine(_ handle: FileHandle) throws -> String {
        var bytes: [UInt8] = []
        while bytes.count < 1024 {
            let chunk = handle.readData(ofLength: 1)
            guard let b = chunk.first else { break }
            if b == 0x0A { break }
            bytes.append(b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
