import ArgumentParser
import Audit
import Foundation
import StrictJSON

/// `understudy audit verify|show|key`: reading and checking the audit trail of a run directory.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify or list the tamper-evident audit trail of a run.",
        subcommands: [Verify.self, Show.self, Key.self, Recover.self, StressAppend.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check framing, chain, signatures, blobs and invariants; exit 0 only when intact.")

        @Argument(help: "The run directory (holds audit.jsonl and blobs/).")
        var runDir: String

        @Option(help: "Pin the signing key: base64 Ed25519 public key, or a file holding it.")
        var key: String?

        func run() throws {
            var pinned: String?
            if let key {
                pinned = FileManager.default.fileExists(atPath: key)
                    ? (try? String(contentsOfFile: key, encoding: .utf8)) ?? "" : key
            }
            let report = AuditVerifier.verify(runDirectory: URL(fileURLWithPath: runDir), pinnedPublicKey: pinned)
            var result: [String: JSONValue] = [
                "intact": .bool(report.isIntact), "records": .int(Int64(report.records)),
                "checkpoints": .int(Int64(report.checkpoints)), "blobs": .int(Int64(report.blobsChecked)),
                "executions": .int(Int64(report.executions)), "recoveries": .int(Int64(report.recoveries)),
                "key_pinned": .bool(pinned != nil),
            ]
            if let key = report.publicKey { result["public_key"] = .string(key) }
            if let problem = report.problem {
                result["problem"] = .object([
                    "line": .int(Int64(problem.line)), "seq": problem.seq.map { .int($0) } ?? .null,
                    "message": .string(problem.message),
                ])
            }
            print(try AuditJSON.encode(JSONValue.object(result)))
            if let problem = report.problem {
                FileHandle.standardError.write(Data("audit verify: FAILED at \(problem)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the records of a run, one per line.")

        @Argument(help: "The run directory.")
        var runDir: String

        func run() throws {
            let path = URL(fileURLWithPath: runDir).appendingPathComponent(AuditLog.fileName).path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("no audit log at \(path)")
            }
            var lineNumber = 0
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.isEmpty { continue }
                guard let value = try? AuditJSON.parse(Array(line)), let seq = value["seq"]?.int64Value,
                      let type = value["type"]?.stringValue else {
                    print("     ?  line \(lineNumber): unreadable (\(line.count) bytes)")
                    continue
                }
                let time = value["time"]?.stringValue ?? ""
                let summary = AuditCommand.summary(type: type, data: value["data"]?.dictionaryValue ?? [:])
                print("\(String(seq).leftPadded(6))  \(time)  \(type.padded(13))  \(summary)")
            }
        }
    }

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit signing key's public half (creating the key if missing).")

        @Option(help: "Private key file (default ~/.config/understudy/audit-key).")
        var keyFile: String?

        func run() throws {
            let key = try AuditSigningKey.loadOrCreate(at: keyFile.map { URL(fileURLWithPath: $0) }
                                                       ?? AuditSigningKey.defaultPath)
            print(key.publicKeyBase64)
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close the log of a crashed run: cut a torn final record, record what was dropped, sign the end.",
            discussion: "Damage before the final record is never repaired: the command fails and names the line.")

        @Argument(help: "The run directory.")
        var runDir: String

        @Option(help: "The private key that started the log (default ~/.config/understudy/audit-key).")
        var keyFile: String?

        func run() throws {
            let key = try AuditSigningKey.load(from: keyFile.map { URL(fileURLWithPath: $0) } ?? AuditSigningKey.defaultPath)
            let (log, recovery): (AuditLog, AuditRecovery)
            do { (log, recovery) = try AuditLog.open(runDir: URL(fileURLWithPath: runDir), signingKey: key) } catch {
                FileHandle.standardError.write(Data("audit recover: \(error)\n".utf8))
                throw ExitCode(1)
            }
            try log.close(status: "recovered", steps: 0)
            print(try AuditJSON.encode(JSONValue.object([
                "dropped_bytes": .int(Int64(recovery.droppedBytes)),
                "dropped_sha256": recovery.droppedSHA256.map { .string($0) } ?? .null,
                "last_good_seq": .int(recovery.lastGoodSeq), "recovery_seq": .int(recovery.recoverySeq),
            ])))
        }
    }

    /// Debug: appends records until done or killed, printing each seq once durable. For crash tests.
    struct StressAppend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stress-append", abstract: "Debug: append N records (for kill -9 tests).",
            shouldDisplay: false)

        @Argument var runDir: String
        @Option var count: Int = 1000
        @Option var keyFile: String?

        func run() throws {
            let key = try AuditSigningKey.loadOrCreate(at: keyFile.map { URL(fileURLWithPath: $0) }
                                                       ?? AuditSigningKey.defaultPath)
            try AuditStress.appendUntilKilled(runDir: URL(fileURLWithPath: runDir), key: key, count: count) { seq in
                print("seq \(seq)")
                fflush(stdout)
            }
        }
    }

    static func summary(type: String, data: [String: JSONValue]) -> String {
        func s(_ key: String) -> String { data[key]?.stringValue ?? "-" }
        func short(_ key: String) -> String { String(s(key).prefix(12)) }
        switch type {
        case "session_start": return "policy \(short("policy_hash")) model \(s("model_id")) key \(s("public_key"))"
        case "observation": return "screenshot \(short("screenshot_blob"))"
        case "model_call": return "model \(s("model")) prompt \(short("prompt_blob")) response \(short("response_blob"))"
        case "proposal": return s("action")
        case "decision":
            let ids = data["rule_ids"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ",") ?? ""
            return "\(s("effect")) [\(ids)] \(s("reason")) action \(short("action_digest"))"
        case "approval":
            return "\(data["approved"]?.boolValue == true ? "approved" : "rejected") by \(s("approver")) action \(short("action_digest"))"
        case "execution": return "action \(short("action_digest"))"
        case "isolation":
            let probes = data["probes"]?.arrayValue ?? []
            let failed = probes.filter { $0["passed"]?.boolValue != true }.compactMap { $0["name"]?.stringValue }
            return "\(s("stage")) on \(s("display")): \(data["passed"]?.boolValue == true ? "passed" : "FAILED") "
                + "(\(probes.count - failed.count)/\(probes.count) probes)\(failed.isEmpty ? "" : " failed: " + failed.joined(separator: ", ")); \(s("outcome"))"
        case "result_review":
            return "\(data["kept"]?.boolValue == true ? "kept" : "REJECTED") by \(s("approver")) action \(short("action_digest")) screen \(short("screenshot_blob"))"
        case "session_end": return "status \(s("status"))"
        case "recovery": return "\(s("reason")); dropped \(data["dropped_bytes"]?.int64Value ?? 0) bytes"
        case "checkpoint": return "signed head through seq \(data["covers_seq"]?.int64Value ?? -1)"
        default: return (try? AuditJSON.encode(JSONValue.object(data))).map { String($0.prefix(120)) } ?? ""
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func padded(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
