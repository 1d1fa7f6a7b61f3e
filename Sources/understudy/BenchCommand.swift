import ArgumentParser

/// `understudy bench desktop|model ...`: measurements, not tests.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the desktop layer or the model.",
        subcommands: [
            BenchDesktopCommand.self,
        ]
    )
}
