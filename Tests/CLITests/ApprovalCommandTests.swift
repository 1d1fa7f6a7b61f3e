import Foundation
import XCTest

/// `understudy run --approve socket` as a reviewer uses it: a policy that asks before typing, the shipped
/// zenity sandbox, and a reviewer process on the unix socket. An approval lets exactly the reviewed
/// action through (the app prints what was typed); a refusal sends nothing (the app prints nothing; its
/// output is kept in RUN_DIR/sandbox/);
/// both answers are in the audit with the reviewer's kernel credentials, and the log verifies. With a
/// rehearsal ahead the reviewer is asked once, after it, and shown its effects.
final class ApprovalCommandTests: XCTestCase {
    /// The shipped zenity policy with its typing rule turned from permit into ask.
    func askingPolicy() throws -> String {
        let shipped = try String(contentsOfFile: CLI.repository.appendingPathComponent("Policies/zenity-form.toml").path, encoding: .utf8)
        let permit = "id = \"permit-zenity-typing\"\neffect = \"permit\""
        XCTAssertTrue(shipped.contains(permit), "the shipped policy changed; update this test")
        let path = temporaryPath("policy") + ".toml"
        try shipped.replacingOccurrences(of: permit, with: "id = \"ask-zenity-typing\"\neffect = \"ask\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A reviewer on `socketPath`: answers each request with `approve`, repeating the digest and hash it
    /// was shown; returns the requests it saw.
    final class Reviewer: @unchecked Sendable {
        let socketPath: String
        let approve: Bool
        private let lock = NSLock()
        private var seen: [[String: Any]] = []
        private var stopped = false
        private var thread: Thread?

        init(socketPath: String, approve: Bool) {
            self.socketPath = socketPath
            self.approve = approve
        }

        var requests: [[String: Any]] { lock.lock(); defer { lock.unlock() }; return seen }

        func start() {
            let t = Thread { [self] in
                while !(lock.withLock { stopped }) {
                    if !answerOne() { usleep(50_000) }
                }
            }
            thread = t
            t.start()
        }

        func stop() { lock.withLock { stopped = true } }

        /// One connection: read the request line, write the answer. False when nobody was listening.
        private func answerOne() -> Bool {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in socketPath.utf8.enumerated() { raw[i] = b } }
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard connected == 0 else { return false }
            var line = Data()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !line.contains(0x0A) {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { return true }
                line.append(contentsOf: buffer[0..<n])
            }
            guard let request = try? JSONSerialization.jsonObject(with: line.prefix { $0 != 0x0A }) as? [String: Any] else { return true }
            lock.withLock { seen.append(request) }
            let answer: [String: Any] = ["approved": approve, "action_digest": request["action_digest"] ?? "",
                                         "screenshot_hash": request["screenshot_hash"] ?? ""]
            guard var reply = try? JSONSerialization.data(withJSONObject: answer) else { return true }
            reply.append(0x0A)
            _ = reply.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            return true
        }
    }

    func run(approve: Bool) throws -> (result: CLI.Result, runDir: String, reviewer: Reviewer) {
        for tool in ["Xvfb", "bwrap", "zenity", "xauth"] where (try? CLI.which(tool)) == nil {
            throw XCTSkip("\(tool) is not installed")
        }
        let x = try XServer(width: 1280, height: 800)
        defer { x.stop() }
        let repo = CLI.repository.path
        let runDir = temporaryPath("run"), key = temporaryPath("key")
        let socketPath = temporaryPath("approve") + ".sock"
        let reviewer = Reviewer(socketPath: socketPath, approve: approve)
        reviewer.start()
        defer { reviewer.stop() }
        let result = try CLI.run(["run", "--task", "Enter the name Ada Lovelace and press OK.",
                                  "--policy", try askingPolicy(), "--sandbox", repo + "/Sandboxes/demo-zenity-entry.toml",
                                  "--model", "replay:" + repo + "/Sandboxes/demo/zenity-entry.jsonl",
                                  "--approve", "socket", "--approve-socket", socketPath,
                                  "--run-dir", runDir, "--key", key, "--display", x.display],
                                 environment: x.environment, timeout: 180)
        return (result, runDir, reviewer)
    }

    func records(_ runDir: String, _ type: String) throws -> [[String: Any]] {
        try String(contentsOfFile: runDir + "/audit.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == type }.compactMap { $0["data"] as? [String: Any] }
    }

    func testApprovedTypingRunsOnceAndTheReviewerIsRecorded() throws {
        let (result, runDir, reviewer) = try run(approve: true)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try result.json()["executed"] as? Int, 3)
        // The reviewer saw exactly the typing step, with the rule that asked.
        XCTAssertEqual(reviewer.requests.count, 1, "\(reviewer.requests)")
        let request = try XCTUnwrap(reviewer.requests.first)
        XCTAssertEqual((request["action"] as? [String: Any])?["text"] as? String, "Ada Lovelace")
        XCTAssertEqual(request["rule_ids"] as? [String], ["ask-zenity-typing"])
        // Asked once, after the rehearsal, and shown what the rehearsal did.
        XCTAssertTrue((request["reason"] as? String)?.contains("; its rehearsal: rehearsed") ?? false, "\(request)")
        let approvals = try records(runDir, "approval")
        XCTAssertEqual(approvals.count, 1, "\(approvals)")
        XCTAssertEqual(approvals.first?["approved"] as? Bool, true)
        XCTAssertTrue((approvals.first?["approver"] as? String)?.contains("uid=\(getuid())") ?? false, "\(approvals)")
        XCTAssertEqual(approvals.first?["action_digest"] as? String, request["action_digest"] as? String)
        XCTAssertEqual(try records(runDir, "execution").compactMap { $0["step"] as? Int }, [1, 2, 3])
        // What the dialog printed when OK was pressed, kept from the live sandbox in the run directory.
        let json = try result.json()
        XCTAssertEqual(json["app_stdout"] as? String, runDir + "/sandbox/demo-zenity-entry.stdout")
        XCTAssertEqual(try String(contentsOfFile: runDir + "/sandbox/demo-zenity-entry.stdout", encoding: .utf8), "Ada Lovelace\n")
        let verify = try CLI.run(["audit", "verify", runDir])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertEqual(try verify.json()["executions"] as? Int, 3)
    }

    func testRefusedTypingSendsNothing() throws {
        let (result, runDir, reviewer) = try run(approve: false)
        XCTAssertEqual(reviewer.requests.count, 1, "\(reviewer.requests)")
        let approvals = try records(runDir, "approval")
        XCTAssertEqual(approvals.map { $0["approved"] as? Bool }, [false])
        // The two clicks ran; the refused typing did not: no execution record for step 2.
        let executed = try records(runDir, "execution").compactMap { $0["step"] as? Int }
        XCTAssertEqual(executed, [1, 3], result.stderr)
        // The dialog was confirmed empty.
        XCTAssertEqual(try String(contentsOfFile: runDir + "/sandbox/demo-zenity-entry.stdout", encoding: .utf8), "\n")
        let verify = try CLI.run(["audit", "verify", runDir])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }
}
