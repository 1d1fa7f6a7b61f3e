// Reading audit.jsonl back: split into lines, frame each line as a record, check it is canonical.
// Shared by `AuditLog.open` (recovery) and `AuditVerifier`.

import Foundation
import StrictJSON

/// A record as it sits in the file: one line of `{"data":{…},"prev":"…","seq":N,"time":"…","type":"…"}`.
struct FramedRecord {
    let line: Int
    let seq: Int64
    let prev: String
    let time: String
    let type: AuditRecordType
    let data: [String: JSONValue]
    /// SHA-256 of the line's bytes (without the newline): the next record's `prev`.
    let hash: String
}

struct AuditLine {
    let number: Int  // 1-based
    let offset: Int  // byte offset of the line's start in the file
    let bytes: ArraySlice<UInt8>
}

/// What is wrong with a line, in words (a Result's failure must be an Error).
struct FramingProblem: Error {
    let message: String
}

extension Result where Failure == FramingProblem {
    static func fail(_ message: String) -> Result { .failure(FramingProblem(message: message)) }
}

enum AuditFraming {
    static let fields: Set<String> = ["data", "prev", "seq", "time", "type"]
    static let maxLineBytes = 1 << 20

    /// Complete lines, and the bytes after the last newline (a torn record) if any.
    static func split(_ file: [UInt8]) -> (lines: [AuditLine], tail: ArraySlice<UInt8>) {
        var lines: [AuditLine] = []
        var start = 0
        for i in file.indices where file[i] == 0x0A {
            lines.append(AuditLine(number: lines.count + 1, offset: start, bytes: file[start..<i]))
            start = i + 1
        }
        return (lines, file[start...])
    }

    /// Frames one line or says, in words, what is wrong with it.
    static func frame(_ line: AuditLine) -> Result<FramedRecord, FramingProblem> {
        guard line.bytes.count <= maxLineBytes else { return .fail("line longer than \(maxLineBytes) bytes") }
        let bytes = Array(line.bytes)
        let value: JSONValue
        do { value = try AuditJSON.parse(bytes) } catch { return .fail("not JSON: \(error)") }
        guard let members = value.dictionaryValue else { return .fail("not a JSON object") }
        guard Set(members.keys) == fields else {
            return .fail("fields \(members.keys.sorted()) are not exactly \(fields.sorted())")
        }
        guard let seq = members["seq"]?.int64Value, seq >= 0 else { return .fail("seq is not a non-negative integer") }
        guard let prev = members["prev"]?.stringValue, AuditDigest.isHex64(prev) else {
            return .fail("prev is not a SHA-256 hex string")
        }
        guard let time = members["time"]?.stringValue else { return .fail("time is not a string") }
        guard let typeName = members["type"]?.stringValue else { return .fail("type is not a string") }
        guard let type = AuditRecordType(rawValue: typeName) else { return .fail("unknown record type \(typeName)") }
        guard let data = members["data"]?.dictionaryValue else { return .fail("data is not an object") }
        guard let canonical = try? AuditJSON.encode(value), Array(canonical.utf8) == bytes else {
            return .fail("not in canonical form (re-serialization differs)")
        }
        return .success(FramedRecord(line: line.number, seq: seq, prev: prev, time: time, type: type, data: data,
                                     hash: AuditDigest.hex(bytes)))
    }
}
