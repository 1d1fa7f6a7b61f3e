// Strict reading of TOMLKit tables: every key a schema reads is marked, and `finish()` rejects the
// rest with its full path. (TOMLKit's Decodable support silently ignores unknown keys, and a typo in a
// forbid rule — `titel` for `title` — must not quietly widen a policy.)

import Foundation
import TOMLKit

struct TOMLReader {
    let table: TOMLTable
    let path: String
    private var read: Set<String> = []

    init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    /// Parses a TOML document, turning TOMLKit's error into one with line and column.
    static func parse(_ text: String) throws -> TOMLTable {
        do { return try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw PolicyError.syntax(line: error.source.begin.line, column: error.source.begin.column,
                                     message: error.description)
        }
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func typeName(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .table: return "a table"
        case .array: return "an array"
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a float"
        case .bool: return "a boolean"
        default: return "a date or time"
        }
    }

    mutating func value(_ key: String) -> TOMLValueConvertible? {
        read.insert(key)
        return table[key]
    }

    mutating func has(_ key: String) -> Bool { table[key] != nil }

    mutating func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else { throw PolicyError.wrongType(path: child(key), expected: "a string", found: Self.typeName(v)) }
        return s
    }

    mutating func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw PolicyError.missingKey(path: child(key)) }
        return s
    }

    mutating func int(_ key: String, min: Int = 0) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.int else { throw PolicyError.wrongType(path: child(key), expected: "an integer", found: Self.typeName(v)) }
        guard i >= min else { throw PolicyError.invalidValue(path: child(key), reason: "must be at least \(min)") }
        return i
    }

    mutating func number(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        if let i = v.int { return Double(i) }
        guard let d = v.double, d.isFinite else {
            throw PolicyError.wrongType(path: child(key), expected: "a finite number", found: Self.typeName(v))
        }
        return d
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.bool else { throw PolicyError.wrongType(path: child(key), expected: "a boolean", found: Self.typeName(v)) }
        return b
    }

    /// A string or an array of strings (a single value is a one-element list).
    mutating func strings(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        if let s = v.string { return [s] }
        guard let array = v.array else {
            throw PolicyError.wrongType(path: child(key), expected: "a string or an array of strings", found: Self.typeName(v))
        }
        var out: [String] = []
        for (i, item) in array.enumerated() {
            guard let s = item.string else {
                throw PolicyError.wrongType(path: "\(child(key))[\(i)]", expected: "a string", found: Self.typeName(item))
            }
            out.append(s)
        }
        guard !out.isEmpty else { throw PolicyError.invalidValue(path: child(key), reason: "must not be empty") }
        return out
    }

    mutating func numbers(_ key: String, count: Int) throws -> [Double]? {
        guard let v = value(key) else { return nil }
        guard let array = v.array, array.count == count else {
            throw PolicyError.wrongType(path: child(key), expected: "an array of \(count) numbers", found: Self.typeName(v))
        }
        var out: [Double] = []
        for (i, item) in array.enumerated() {
            if let n = item.int { out.append(Double(n)); continue }
            guard let d = item.double, d.isFinite else {
                throw PolicyError.wrongType(path: "\(child(key))[\(i)]", expected: "a finite number", found: Self.typeName(item))
            }
            out.append(d)
        }
        return out
    }

    mutating func table(_ key: String) throws -> TOMLReader? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else { throw PolicyError.wrongType(path: child(key), expected: "a table", found: Self.typeName(v)) }
        return TOMLReader(t, path: child(key))
    }

    /// An array of tables (`[[rule]]`), each with its indexed path (`rule[0]`).
    mutating func tables(_ key: String) throws -> [TOMLReader] {
        guard let v = value(key) else { return [] }
        guard let array = v.array else {
            throw PolicyError.wrongType(path: child(key), expected: "an array of tables", found: Self.typeName(v))
        }
        var out: [TOMLReader] = []
        for (i, item) in array.enumerated() {
            guard let t = item.table else {
                throw PolicyError.wrongType(path: "\(child(key))[\(i)]", expected: "a table", found: Self.typeName(item))
            }
            out.append(TOMLReader(t, path: "\(child(key))[\(i)]"))
        }
        return out
    }

    /// Rejects the first key (in sorted order) that the schema did not read.
    func finish() throws {
        for key in table.keys.sorted() where !read.contains(key) {
            throw PolicyError.unknownKey(path: child(key), suggestion: TOMLReader.closest(to: key, in: read))
        }
    }

    static func closest(to key: String, in candidates: Set<String>) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
