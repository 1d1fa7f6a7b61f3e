// `--approve socket`: an external reviewer answers on a local unix socket.
//
// Protocol (one connection per request, one JSON line each way):
//   agent → reviewer  {"review": "action", "step": 3, "action": {...}, "action_digest": "…", "screenshot_hash": "…",
//                      "rule_ids": [...], "reason": "…", "target": "…", "annotated_screenshot": "/path.png"}
//   reviewer → agent  {"approved": true, "action_digest": "…", "screenshot_hash": "…"}
// `review` is "action" (may this action run?) or "result" (`--review-results`: keep what this step did?
// `screenshot_hash` and `annotated_screenshot` are then the screen after it; false rolls the step back).
// The reply to a result review must carry `"review": "result"` too; without it the result is not kept.
// The reply must repeat the digest and hash it approves (the loop refuses a grant for anything else).
// The reviewer's identity is taken from the kernel (SO_PEERCRED: pid, uid, gid), not from the reply.
// The socket file is created mode 0600 in a directory the caller chooses; no answer within the
// timeout is a refusal.

import Actions
import Foundation
#if canImport(Glibc)
import Glibc
import StrictJSON
#endif

public final class SocketApprover: Approver, @unchecked Sendable {
    public let path: String
    public let timeout: Double
    private let listener: Int32

    public init(path: String, timeout: Double = 300) throws {
        self.path = path
        self.timeout = timeout
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AgentError.approval("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { close(fd); throw AgentError.approval("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let oldMask = umask(0o177)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(oldMask)
        guard bound == 0, listen(fd, 4) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw AgentError.approval("cannot listen on \(path): \(message)")
        }
        listener = fd
    }

    deinit {
        close(listener)
        unlink(path)
    }

    public func review(_ request: ApprovalRequest) async throws -> ApprovalAnswer {
        let message = SocketApprover.requestLine(request)
        let listener = self.listener
        let timeout = self.timeout
        return try await Task.detached {
            try SocketApprover.exchange(listener: listener, message: message, timeout: timeout, request: request)
        }.value
    }

    static func requestLine(_ r: ApprovalRequest) -> String {
        var members: [(key: String, value: JSONValue)] = [
            ("review", .string(r.kind.rawValue)),
            ("step", .number(String(r.step))),
            ("action", r.action.arguments),
            ("action_digest", .string(r.actionDigest)),
            ("screenshot_hash", .string(r.screenshotHash)),
            ("rule_ids", .array(r.ruleIDs.map { .string($0) })),
            ("reason", .string(r.reason)),
        ]
        if let t = r.target { members.append(("target", .string(t.summary))) }
        if let p = r.annotatedScreenshotPath { members.append(("annotated_screenshot", .string(p))) }
        return JSONValue.object(members).serialized + "\n"
    }

    static func exchange(listener: Int32, message: String, timeout: Double, request: ApprovalRequest) throws -> ApprovalAnswer {
        let deadline = Date().addingTimeInterval(timeout)
        func refused(_ why: String) -> ApprovalAnswer {
            ApprovalAnswer(approved: false, approver: "socket (\(why))", actionDigest: request.actionDigest,
                           screenshotHash: request.screenshotHash)
        }
        guard wait(listener, events: Int16(POLLIN), until: deadline) else { return refused("no reviewer connected") }
        let client = accept(listener, nil, nil)
        guard client >= 0 else { throw AgentError.approval("accept: \(String(cString: strerror(errno)))") }
        defer { close(client) }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — three 32-bit fields; Glibc's Swift
        // overlay hides the struct without _GNU_SOURCE, so it is read as three words.
        var cred: [UInt32] = [0, 0, 0]
        var len = socklen_t(3 * MemoryLayout<UInt32>.size)
        guard getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0, len == socklen_t(12) else {
            throw AgentError.approval("SO_PEERCRED: \(String(cString: strerror(errno)))")
        }
        let approver = "socket uid=\(cred[1]) gid=\(cred[2]) pid=\(Int32(bitPattern: cred[0]))"

        let out = Array(message.utf8)
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return send(client, base, raw.count, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { return refused("reviewer went away") }
            sent += n
        }

        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !line.contains(0x0A) {
            guard line.count < 65536 else { return refused("reply too long") }
            guard wait(client, events: Int16(POLLIN), until: deadline) else { return refused("no reply in time") }
            let n = read(client, &chunk, chunk.count)
            if n <= 0 { break }
            line.append(contentsOf: chunk[0..<n])
        }
        let text = String(decoding: line.prefix { $0 != 0x0A }, as: UTF8.self)
        guard let reply = try? JSONValue.parse(text), case .bool(let approved)? = reply["approved"],
              case .string(let digest)? = reply["action_digest"], case .string(let shot)? = reply["screenshot_hash"] else {
            return ApprovalAnswer(approved: false, approver: approver + " (unreadable reply)",
                                  actionDigest: request.actionDigest, screenshotHash: request.screenshotHash)
        }
        // A result review must be answered as one: a reviewer that echoes any request back (written for
        // action approvals) must not keep results it never looked at.
        if request.kind == .result, reply["review"] != .string(ApprovalRequest.Kind.result.rawValue) {
            return ApprovalAnswer(approved: false, approver: approver + " (the reply does not say \"review\": \"result\")",
                                  actionDigest: digest, screenshotHash: shot)
        }
        return ApprovalAnswer(approved: approved, approver: approver, actionDigest: digest, screenshotHash: shot)
    }

    static func wait(_ fd: Int32, events: Int16, until deadline: Date) -> Bool {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return false }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, Int32(min(remaining, 1) * 1000))
            if r > 0 { return true }
            if r < 0 && errno != EINTR { return false }
        }
    }
}
