// `understudy report RUN_DIR`: the run as one self-contained HTML page, RUN_DIR/report.html, for a
// person reviewing what the agent did: the audit verification first (a log that does not verify is
// flagged at the top and the command exits 1), the session's set-up records, then each step with its
// screenshot, the model's reply, the proposal, every decision with its rule ids, approvals, the
// rehearsal and its effects, the execution, verification and rollback records, and the end.
//
// Everything shown comes from the audit log and its blobs; nothing is recomputed. Every value is
// HTML-escaped (model replies are untrusted text). Screenshots are embedded as data URLs (PNG blobs
// only, checked by signature), so the page can be copied on its own.

import ArgumentParser
import Audit
import Foundation
import StrictJSON

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write RUN_DIR/report.html: the run's steps, decisions, approvals, rehearsals and screenshots.",
        discussion: "Exit 0 when the audit log verifies; 1 when it does not (the report is still written, flagged); 2 when there is no log.")

    @Argument(help: "The run directory (holds audit.jsonl and blobs/).")
    var runDir: String

    @Option(help: "Where to write the page (default RUN_DIR/report.html).")
    var out: String?

    /// Blobs larger than this are linked, not embedded.
    static let embedLimit = 4 << 20

    func run() throws {
        let written: ReportCommand.Written
        do { written = try Self.write(runDirectory: URL(fileURLWithPath: runDir), to: out) } catch let e as ReportError {
            throw ValidationError(e.description)
        }
        print(JSONValue.object(["report": .string(written.path), "intact": .bool(written.intact),
                                "records": .int(written.records), "steps": .int(written.steps)]).serialized)
        if !written.intact {
            StandardError.print("report: the audit log does not verify (\(written.problem ?? "")); the report says so")
            throw ExitCode(1)
        }
    }

    struct Written {
        var path: String
        var intact: Bool
        var problem: String?
        var records: Int
        var steps: Int
    }

    struct ReportError: Error, CustomStringConvertible { var description: String }

    /// Writes the page for `runDirectory` (to `out`, default RUN_DIR/report.html). `understudy demo` calls
    /// it too.
    static func write(runDirectory dir: URL, to out: String? = nil) throws -> Written {
        let logPath = dir.appendingPathComponent(AuditLog.fileName).path
        guard let data = FileManager.default.contents(atPath: logPath) else { throw ReportError(description: "no audit log at \(logPath)") }
        let verification = AuditVerifier.verify(runDirectory: dir)
        var records: [(line: Int, type: String, seq: Int64?, time: String, data: [(key: String, value: JSONValue)])] = []
        var unreadable: [Int] = []
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let value = try? AuditJSON.parse(Array(line)), let type = value["type"]?.stringValue,
                  case .object(let members)? = value["data"] else {
                unreadable.append(index + 1)
                continue
            }
            records.append((index + 1, type, value["seq"]?.int64Value, value["time"]?.stringValue ?? "",
                            members.map { (key: $0.key, value: $0.value) }))
        }
        let page = ReportPage(blobs: AuditLog.blobDirectory(of: dir), blobLinkPrefix: "blobs/sha256/")
        page.begin(title: "understudy run \(dir.lastPathComponent)")
        if verification.isIntact {
            page.banner(ok: true, "The audit log verifies: \(verification.records) records, \(verification.checkpoints) signed checkpoints, \(verification.blobsChecked) blobs, \(verification.executions) executions.")
        } else {
            page.banner(ok: false, "The audit log does NOT verify: \(verification.problem.map { "\($0)" } ?? "unknown problem"). Everything below is what the files say, not what happened.")
        }
        if !unreadable.isEmpty { page.banner(ok: false, "Unreadable lines: \(unreadable.map(String.init).joined(separator: ", "))") }

        func step(_ r: (line: Int, type: String, seq: Int64?, time: String, data: [(key: String, value: JSONValue)])) -> Int? {
            r.data.first { $0.key == "step" }?.value.int64Value.map(Int.init)
        }
        var current: Int?? = .none
        for r in records {
            let s = step(r)
            if current == nil || current! != s {
                if current != nil { page.endSection() }
                page.section(s.map { "Step \($0)" } ?? (r.type == "session_end" || r.type == "checkpoint" ? "End" : "Session"))
                current = .some(s)
            }
            page.record(type: r.type, seq: r.seq, time: r.time, line: r.line, data: r.data)
        }
        if current != nil { page.endSection() }
        page.end()

        let outPath = out ?? dir.appendingPathComponent("report.html").path
        do { try Data(page.html.utf8).write(to: URL(fileURLWithPath: outPath), options: .atomic) } catch {
            throw ReportError(description: "cannot write \(outPath): \(error.localizedDescription)")
        }
        return Written(path: outPath, intact: verification.isIntact, problem: verification.problem.map { "\($0)" },
                       records: records.count, steps: Set(records.compactMap(step)).count)
    }
}

/// The page under construction.
final class ReportPage {
    let blobs: URL
    /// The blob folder relative to the page (links to blobs too large to embed).
    let blobLinkPrefix: String
    private(set) var html = ""

    init(blobs: URL, blobLinkPrefix: String) {
        self.blobs = blobs
        self.blobLinkPrefix = blobLinkPrefix
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    func begin(title: String) {
        html += """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:75em}
            .ok{background:#e6f4ea;border:1px solid #34a853;padding:.6em}.bad{background:#fce8e6;border:1px solid #d93025;padding:.6em;font-weight:bold}
            section{border-top:2px solid #888;margin-top:1.2em}h2{margin:.4em 0}
            .rec{margin:.5em 0 .5em 1em}.type{font-weight:bold}.meta{color:#666;font-size:12px}
            .allow,.approved{color:#137333}.deny,.rejected{color:#c5221f}.ask{color:#b06000}
            dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.2em 0 .2em 1em}dt{color:#555}dd{margin:0}
            pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em;margin:.2em 0}img{max-width:100%;border:1px solid #ccc}
            </style></head><body><h1>\(Self.escape(title))</h1>

            """
    }

    func banner(ok: Bool, _ text: String) { html += "<p class=\"\(ok ? "ok" : "bad")\">\(Self.escape(text))</p>\n" }
    func section(_ title: String) { html += "<section><h2>\(Self.escape(title))</h2>\n" }
    func endSection() { html += "</section>\n" }
    func end() { html += "</body></html>\n" }

    func record(type: String, seq: Int64?, time: String, line: Int, data: [(key: String, value: JSONValue)]) {
        var verdict = ""
        if type == "decision", let effect = data.first(where: { $0.key == "effect" })?.value.stringValue { verdict = effect }
        if type == "approval", let approved = data.first(where: { $0.key == "approved" })?.value.boolValue {
            verdict = approved ? "approved" : "rejected"
        }
        html += "<div class=\"rec\"><span class=\"type \(Self.escape(verdict))\">\(Self.escape(type))\(verdict.isEmpty ? "" : ": " + Self.escape(verdict))</span>"
        html += " <span class=\"meta\">seq \(seq.map(String.init) ?? "?") · line \(line) · \(Self.escape(time))</span>\n<dl>"
        for (key, value) in data where key != "step" {
            html += "<dt>\(Self.escape(key))</dt><dd>\(render(key: key, value))</dd>"
        }
        html += "</dl></div>\n"
    }

    private func render(key: String, _ value: JSONValue) -> String {
        if key.hasSuffix("_blob"), let hash = value.stringValue { return blob(hash, key: key) }
        switch value {
        case .string(let s):
            return s.contains("\n") || s.count > 160 ? "<pre>\(Self.escape(s))</pre>" : Self.escape(s)
        case .object, .array:
            let text = (try? AuditJSON.encode(value)) ?? value.serialized
            return "<details><summary>\(Self.escape(String(text.prefix(100))))\(text.count > 100 ? "…" : "")</summary><pre>\(Self.escape(text))</pre></details>"
        default:
            return Self.escape(value.serialized)
        }
    }

    /// A blob by its hash: a PNG is embedded, text is shown (prompts folded), anything else is linked.
    private func blob(_ hash: String, key: String) -> String {
        let short = Self.escape(String(hash.prefix(12)))
        guard hash.allSatisfy({ $0.isHexDigit }), hash.count == 64 else { return Self.escape(hash) + " (not a blob name)" }
        let path = blobs.appendingPathComponent(hash).path
        guard let bytes = FileManager.default.contents(atPath: path) else { return short + "… (missing)" }
        let link = "<a href=\"\(blobLinkPrefix)\(hash)\">\(short)…</a>"
        guard bytes.count <= ReportCommand.embedLimit else { return link + " (\(bytes.count) bytes)" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return link + "<br><img alt=\"\(Self.escape(key))\" src=\"data:image/png;base64,\(bytes.base64EncodedString())\">"
        }
        guard let text = String(data: bytes, encoding: .utf8) else { return link + " (\(bytes.count) bytes)" }
        if key.hasPrefix("prompt") {
            return "<details><summary>\(link) (\(text.count) characters)</summary><pre>\(Self.escape(text))</pre></details>"
        }
        return link + "<pre>\(Self.escape(text))</pre>"
    }
}
