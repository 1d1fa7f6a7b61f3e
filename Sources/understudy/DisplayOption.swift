import ArgumentParser
import Desktop
import Foundation

/// `--display :N`, shared by the commands that talk to an X server. Authentication follows
/// `$XAUTHORITY` as for any X client.
struct DisplayOption: ParsableArguments {
    @Option(name: .long, help: "X display to use, e.g. :1 (default: $DISPLAY).")
    var display: String?

    func open(capture: X11Display.CaptureMethod = .automatic) throws -> X11Display {
        try X11Display(name: display, capture: capture)
    }
}

/// Machine-readable output: one JSON document on stdout, keys sorted, nothing else on stdout.
enum JSONOutput {
    static func text(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
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
