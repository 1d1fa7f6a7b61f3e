import ArgumentParser
import Desktop
import Foundation
import StrictJSON

/// `--display :N`, shared by the commands that talk to an X server. Authentication follows
/// `$XAUTHORITY` as for any X client.
struct DisplayOption: ParsableArguments {
    @Option(name: .long, help: "X display to use, e.g. :1 (default: $DISPLAY).")
    var display: String?

    func open(capture: X11Display.CaptureMethod = .automatic) throws -> X11Display {
        try X11Display(name: display, capture: capture)
    }
}

/// Machine-readable output: one JSON document on stdout, keys sorted, nothing else on stdout. Written by
/// StrictJSON like every other JSON the program emits: integers as integers, other numbers in Swift's
/// shortest round-trip spelling, non-finite numbers (a ratio over zero time) as null.
enum JSONOutput {
    struct Unencodable: Error, CustomStringConvertible {
        let type: String
        var description: String { "cannot write a \(type) as JSON" }
    }

    static func value(_ any: Any) throws -> JSONValue {
        switch any {
        case let v as JSONValue: return v
        case let v as Bool: return .bool(v)
        case let v as Int: return .int(v)
        case let v as Int32: return .int(v)
        case let v as Int64: return .int(v)
        case let v as UInt: return .int(v)
        case let v as UInt32: return .int(v)
        case let v as UInt64: return .int(v)
        case let v as Double: return v.isFinite ? .double(v) : .null
        case let v as Float: return v.isFinite ? .double(Double(v)) : .null
        case let v as String: return .string(v)
        case let v as [String: Any]: return .object(try v.mapValues(value))
        case let v as [Any]: return .array(try v.map(value))
        case is NSNull: return .null
        case Optional<Any>.none: return .null
        default: throw Unencodable(type: String(describing: type(of: any)))
        }
    }

    static func text(_ value: Any) throws -> String {
        try Self.value(value).serialized
    }

    static func print(_ value: Any) throws {
        Swift.print(try text(value))
    }
}

/// Messages for people go to stderr.
enum StandardError {
    static func print(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
