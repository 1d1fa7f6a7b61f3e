// `understudy model tokenize DIR (--text TEXT | --file F) [--json]`: the token ids of a text, space-separated
// on one line (docs/architecture.md, command-line contract). DIR needs only tokenizer.json.

import ArgumentParser
import Foundation
import StrictJSON
import Tokenization

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text, space-separated on one line.",
        discussion: "DIR is a model folder or any folder with tokenizer.json. Added tokens written in the text "
            + "(<|im_start|>, <|image_pad|>, <tool_call> …) become their ids."
    )

    @Argument(help: "Folder with tokenizer.json.")
    var dir: String

    @Option(help: "The text to tokenize.")
    var text: String?

    @Option(help: "A UTF-8 file whose whole contents are tokenized.")
    var file: String?

    @Flag(help: "Print a JSON object with the ids and their tokens instead.")
    var json = false

    func validate() throws {
        guard (text == nil) != (file == nil) else {
            throw ValidationError("give exactly one of --text and --file")
        }
    }

    func run() throws {
        do {
            let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: dir))
            let input = try text ?? readInput(file ?? "")
            let ids = tokenizer.encode(input)
            if json {
                let tokens = ids.map { JSONValue.string(tokenizer.token(forID: $0) ?? "") }
                let object = JSONValue.object([
                    ("ids", .array(ids.map { .int($0) })),
                    ("tokens", .array(tokens)),
                ])
                print(object.pythonJSON)
            } else {
                print(ids.map(String.init).joined(separator: " "))
            }
        } catch let error as TokenizerError {
            FileHandle.standardError.write(Data("understudy model tokenize: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func readInput(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw TokenizerError.fileNotFound(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TokenizerError.unreadableFile(path: path, reason: "\(error)")
        }
        guard let s = String(data: data, encoding: .utf8) else {
            throw TokenizerError.unreadableFile(path: path, reason: "not valid UTF-8")
        }
        return s
    }
}
