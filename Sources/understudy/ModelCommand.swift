// `understudy model …`: commands that work on model files. Subcommands are added one per file.

import ArgumentParser

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect and run the on-device model.",
        subcommands: [TokenizeCommand.self]
    )
}
