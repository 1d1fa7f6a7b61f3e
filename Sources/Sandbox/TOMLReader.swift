// Strict reading of TOMLKit tables: every key the schema reads is marked, and `finish()` rejects the
// rest with its full path (`app.enviroment`). TOMLKit's Decodable support ignores unknown keys, and a
// typo in an isolation setting must not silently fall back to a default.
// Same design as Policy's reader (Sources/Policy/TOMLReader.swift on the safety branch); Sandbox
// may not import Policy, so the ~100 lines are repeated here with SandboxError.

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

    static func parse(_ text: String, file: String) throws -> TOMLTable {
        do { return try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw SandboxError.syntax(file: file, line: error.source.begin.line,
                                      column: error.source.begin.column, message: error.description)
        } catch {
            throw SandboxError.syntax(file: file, line: 0, column: 0, message: "\(error)")
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

    mutating func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else {
            throw SandboxError.wrongType(path: child(key), expected: "a string", found: Self.typeName(v))
        }
        return s
    }

    mutating func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw SandboxError.missingKey(path: child(key)) }
        return s
    }

    mutating func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.int else {
            throw SandboxError.wrongType(path: child(key), expected: "an integer", found: Self.typeName(v))
        }
        guard range.contains(i) else {
            throw SandboxError.invalidValue(path: child(key), reason: "must be in \(range.lowerBound)…\(range.upperBound)")
        }
        return i
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.bool else {
            throw SandboxError.wrongType(path: child(key), expected: "a boolean", found: Self.typeName(v))
        }
        return b
    }

    /// An array of strings (possibly empty). A bare string is rejected: an argv is never a shell string.
    mutating func stringArray(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        guard let array = v.array else {
            throw SandboxError.wrongType(path: child(key), expected: "an array of strings", found: Self.typeName(v))
        }
        var out: [String] = []
        for (i, item) in array.enumerated() {
            guard let s = item.string else {
                throw SandboxError.wrongType(path: "\(child(key))[\(i)]", expected: "a string", found: Self.typeName(item))
            }
            out.append(s)
        }
        return out
    }

    /// A table whose values are all strings (an environment).
    mutating func stringTable(_ key: String) throws -> [String: String]? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else {
            throw SandboxError.wrongType(path: child(key), expected: "a table of strings", found: Self.typeName(v))
        }
        var out: [String: String] = [:]
        for k in t.keys.sorted() {
            guard let item = t[k], let s = item.string else {
                let found = t[k].map(Self.typeName) ?? "nothing"
                throw SandboxError.wrongType(path: "\(child(key)).\(k)", expected: "a string", found: found)
            }
            out[k] = s
        }
        return out
    }

    mutating func table(_ key: String) throws -> TOMLReader? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else {
            throw SandboxError.wrongType(path: child(key), expected: "a table", found: Self.typeName(v))
        }
        return TOMLReader(t, path: child(key))
    }

    /// Rejects the first key (in sorted order) that the schema did not read.
    func finish() throws {
        for key in table.keys.sorted() where !read.contains(key) {
            throw SandboxError.unknownKey(path: child(key), suggestion: TOMLReader.closest(to: key, in: read))
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
