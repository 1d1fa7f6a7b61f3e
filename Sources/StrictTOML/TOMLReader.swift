// Strict reading of TOMLKit tables: every key a schema reads is marked, and `finish()` rejects the
// rest with its full path and the closest key the schema knows (`rule[2].target.titel`, did you mean
// `title`?). TOMLKit's Decodable support silently ignores unknown keys, and a typo in a forbid rule or
// an isolation setting must not quietly widen a policy or fall back to a default.
//
// One reader for Policy (policies, test cases, contexts) and Sandbox (definitions); it was two
// near-copies before. TOMLKit's types stay inside this target: schemas see strings, numbers, tables.

import Foundation
import TOMLKit

public struct TOMLReader {
    let table: TOMLTable
    /// The key path of this table (`""` for the document, `rule[0].target` below it).
    public let path: String
    private var read: Set<String> = []

    init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    /// Parses a whole document. `TOMLPreflight` runs first: it rejects inputs that TOMLKit cannot be
    /// trusted with. TOMLKit's own errors become `TOMLSchemaError.syntax` with line and column; `file`
    /// is carried into syntax errors as it is given.
    public init(parsing text: String, file: String? = nil) throws {
        try TOMLPreflight.check(text, file: file)
        do {
            self.init(try TOMLTable(string: text), path: "")
        } catch let error as TOMLParseError {
            throw TOMLSchemaError.syntax(file: file, line: error.source.begin.line,
                                         column: error.source.begin.column, message: error.description)
        } catch {
            throw TOMLSchemaError.syntax(file: file, line: 0, column: 0, message: "\(error)")
        }
    }

    public func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

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

    /// Whether the key is present; does not mark it read.
    public func has(_ key: String) -> Bool { table[key] != nil }

    /// The key's value when it is a string, nil when it is absent or of another type (no error).
    /// Marks the key read; for keys that take a string or something else (`region = "client-area"`).
    public mutating func stringIfString(_ key: String) -> String? { value(key)?.string }

    public mutating func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else { throw TOMLSchemaError.wrongType(path: child(key), expected: "a string", found: Self.typeName(v)) }
        return s
    }

    public mutating func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw TOMLSchemaError.missingKey(path: child(key)) }
        return s
    }

    /// An integer of at least `min` (counters and budgets: 0 unless said otherwise).
    public mutating func int(_ key: String, min: Int = 0) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.int else { throw TOMLSchemaError.wrongType(path: child(key), expected: "an integer", found: Self.typeName(v)) }
        guard i >= min else { throw TOMLSchemaError.invalidValue(path: child(key), reason: "must be at least \(min)") }
        return i
    }

    /// An integer inside `range`.
    public mutating func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.int else { throw TOMLSchemaError.wrongType(path: child(key), expected: "an integer", found: Self.typeName(v)) }
        guard range.contains(i) else {
            throw TOMLSchemaError.invalidValue(path: child(key), reason: "must be in \(range.lowerBound)…\(range.upperBound)")
        }
        return i
    }

    /// An integer or a finite float.
    public mutating func number(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        if let i = v.int { return Double(i) }
        guard let d = v.double, d.isFinite else {
            throw TOMLSchemaError.wrongType(path: child(key), expected: "a finite number", found: Self.typeName(v))
        }
        return d
    }

    public mutating func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.bool else { throw TOMLSchemaError.wrongType(path: child(key), expected: "a boolean", found: Self.typeName(v)) }
        return b
    }

    /// A string or a non-empty array of strings (a single value is a one-element list).
    public mutating func strings(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        if let s = v.string { return [s] }
        guard let array = v.array else {
            throw TOMLSchemaError.wrongType(path: child(key), expected: "a string or an array of strings", found: Self.typeName(v))
        }
        let out = try stringElements(array, key: key)
        guard !out.isEmpty else { throw TOMLSchemaError.invalidValue(path: child(key), reason: "must not be empty") }
        return out
    }

    /// An array of strings (possibly empty). A bare string is rejected: an argv is never a shell string.
    public mutating func stringArray(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        guard let array = v.array else {
            throw TOMLSchemaError.wrongType(path: child(key), expected: "an array of strings", found: Self.typeName(v))
        }
        return try stringElements(array, key: key)
    }

    private func stringElements(_ array: TOMLArray, key: String) throws -> [String] {
        var out: [String] = []
        for (i, item) in array.enumerated() {
            guard let s = item.string else {
                throw TOMLSchemaError.wrongType(path: "\(child(key))[\(i)]", expected: "a string", found: Self.typeName(item))
            }
            out.append(s)
        }
        return out
    }

    /// An array of exactly `count` numbers (integers or finite floats).
    public mutating func numbers(_ key: String, count: Int) throws -> [Double]? {
        guard let v = value(key) else { return nil }
        guard let array = v.array, array.count == count else {
            throw TOMLSchemaError.wrongType(path: child(key), expected: "an array of \(count) numbers", found: Self.typeName(v))
        }
        var out: [Double] = []
        for (i, item) in array.enumerated() {
            if let n = item.int { out.append(Double(n)); continue }
            guard let d = item.double, d.isFinite else {
                throw TOMLSchemaError.wrongType(path: "\(child(key))[\(i)]", expected: "a finite number", found: Self.typeName(item))
            }
            out.append(d)
        }
        return out
    }

    /// A table whose values are all strings (an environment).
    public mutating func stringTable(_ key: String) throws -> [String: String]? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else {
            throw TOMLSchemaError.wrongType(path: child(key), expected: "a table of strings", found: Self.typeName(v))
        }
        var out: [String: String] = [:]
        for k in t.keys.sorted() {
            guard let item = t[k], let s = item.string else {
                let found = t[k].map(Self.typeName) ?? "nothing"
                throw TOMLSchemaError.wrongType(path: "\(child(key)).\(k)", expected: "a string", found: found)
            }
            out[k] = s
        }
        return out
    }

    /// A table; `expected` words the type error for keys that also take something else
    /// (`a table or "none"`).
    public mutating func table(_ key: String, expected: String = "a table") throws -> TOMLReader? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else { throw TOMLSchemaError.wrongType(path: child(key), expected: expected, found: Self.typeName(v)) }
        return TOMLReader(t, path: child(key))
    }

    /// An array of tables (`[[rule]]`), each with its indexed path (`rule[0]`). Absent: empty.
    public mutating func tables(_ key: String) throws -> [TOMLReader] {
        guard let v = value(key) else { return [] }
        guard let array = v.array else {
            throw TOMLSchemaError.wrongType(path: child(key), expected: "an array of tables", found: Self.typeName(v))
        }
        var out: [TOMLReader] = []
        for (i, item) in array.enumerated() {
            guard let t = item.table else {
                throw TOMLSchemaError.wrongType(path: "\(child(key))[\(i)]", expected: "a table", found: Self.typeName(item))
            }
            out.append(TOMLReader(t, path: "\(child(key))[\(i)]"))
        }
        return out
    }

    /// Rejects the first key (in sorted order) that the schema did not read.
    public func finish() throws {
        for key in table.keys.sorted() where !read.contains(key) {
            throw TOMLSchemaError.unknownKey(path: child(key), suggestion: TOMLReader.closest(to: key, in: read))
        }
    }

    /// The read key nearest to `key` within edit distance 2 (ties: the alphabetically first).
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
