import ArgumentParser
import Foundation
import Logging

/// The command line: the only place that picks real implementations and bootstraps logging.
/// Each command lives in its own file (`<Name>Command.swift`); register it in `subcommands` below.
@main
struct Understudy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "understudy",
        abstract: "A sandboxed GUI automation agent for Linux.",
        version: "0.1.0",
        subcommands: [
            // registered commands (one line each):
            ModelCommand.self,
            BenchCommand.self,
            AuditCommand.self,
            RunCommand.self,
            DemoCommand.self,
            PolicyCommand.self,
            ScreenshotCommand.self,
            DoCommand.self,
            WindowsCommand.self,
            ReportCommand.self,
        ]
    )

    /// Usage errors (an unknown option, a value that does not parse, a failed `validate()`) exit 2 like
    /// every other set-up error of the command-line contract (docs/architecture.md), not with
    /// argument-parser's own 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Logs go to stderr only: stdout carries machine-readable results and nothing else.
enum CLILogging {
    static func bootstrap(verbose: Bool = false) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .info
            return handler
        }
    }
}
