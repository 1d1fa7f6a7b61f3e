import Actions
import ArgumentParser
import Foundation
import Policy
import StrictJSON

/// `understudy policy check|test|lint|explain`: the policy engine from the command line.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, test, lint or explain a least-privilege policy.",
        subcommands: [Check.self, Test.self, Lint.self, Explain.self]
    )

    /// The policy file and one action in its context (shared by check and explain).
    struct ActionOptions: ParsableArguments {
        @Argument(help: "The policy file (TOML).")
        var policy: String

        @Option(help: "The action: computer_use arguments JSON, coordinates in screen pixels.")
        var action: String

        @Option(help: "A context file (TOML): screen, pointer, window, focused, budget, effects, irreversible, compensation.")
        var context: String?

        @Option(help: "Screen size WxH when no context file gives one.")
        var screen: String = "1280x800"

        func load() throws -> (Policy, PolicyRequest) {
            let policy = try PolicyCommand.loadPolicy(self.policy)
            let parsed: Action
            do { parsed = try Action(json: action) } catch { throw PolicyCommand.failure("--action: \(error)") }
            var ctx = PolicyContext()
            if let path = context {
                guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    throw PolicyCommand.failure("cannot read context file \(path)")
                }
                do { ctx = try PolicyContext(toml: text) } catch { throw PolicyCommand.failure("\(path): \(error)") }
            }
            if ctx.screenWidth == nil {
                let parts = screen.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("--screen must be WxH") }
                ctx.screenWidth = parts[0]; ctx.screenHeight = parts[1]
            }
            return (policy, try ctx.request(for: parsed))
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one decision as JSON.")
        @OptionGroup var options: ActionOptions

        func run() throws {
            let (policy, request) = try options.load()
            print(PolicyCommand.json(policy.decision(for: request)))
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the evaluation trace of one action.")
        @OptionGroup var options: ActionOptions

        func run() throws {
            let (policy, request) = try options.load()
            let evaluation = policy.evaluate(request)
            print("policy \(policy.name) \(policy.hash)")
            print("action \(request.action.arguments.serialized)\(request.compensation ? " (a rollback's compensation)" : "")")
            for t in evaluation.trace {
                let outcome: String
                switch t.outcome {
                case .matched: outcome = "MATCH"
                case .notMatched: outcome = "no match"
                case .failed(let counts): outcome = counts ? "MATCH (evaluation failed; fail-safe)" : "no match (evaluation failed; fail-safe)"
                }
                print("  \(t.effect.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(t.ruleID): \(outcome)")
                for note in t.notes { print("      \(note)") }
            }
            let d = evaluation.decision
            print("decision \(d.effect.rawValue) [\(d.ruleIDs.joined(separator: ", "))]: \(d.reason)")
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check policy files; exit 1 on any error (and, with --strict, any warning).")
        @Argument(help: "Policy files.")
        var policies: [String]

        @Flag(help: "Warnings fail too (CI runs the shipped policies this way).")
        var strict = false

        func run() throws {
            var failed = false
            for path in policies {
                let policy: Policy
                do { policy = try Policy.load(path: path) } catch {
                    print("\(path): error: \(PolicyCommand.withoutFile(error))")
                    failed = true
                    continue
                }
                let findings = policy.lint()
                for f in findings { print("\(path): \(f)") }
                if findings.contains(where: { $0.severity == .error || strict }) { failed = true }
                if findings.isEmpty { print("\(path): ok (\(policy.rules.count) rules, hash \(policy.hash))") }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run table-driven cases; exit 1 when a case fails.",
            discussion: "CASES defaults to the policy's path with .toml replaced by .cases.toml.")
        @Argument(help: "The policy file.")
        var policy: String
        @Argument(help: "The cases file.")
        var cases: String?

        func run() throws {
            let policy = try PolicyCommand.loadPolicy(self.policy)
            let casesPath = cases ?? (self.policy.hasSuffix(".toml") ? String(self.policy.dropLast(5)) + ".cases.toml" : self.policy + ".cases.toml")
            let file: PolicyCaseFile
            do { file = try PolicyCaseFile.load(path: casesPath) } catch { throw PolicyCommand.failure("\(PolicyCommand.unwrap(error))") }
            let report = policy.run(file)
            for r in report.results {
                print(r.passed ? "PASS \(r.name)" : "FAIL \(r.name): \(r.message)")
            }
            for id in report.unexercisedRules { print("UNEXERCISED \(id)") }
            let failures = report.results.filter { !$0.passed }.count
            print("\(report.results.count - failures) passed, \(failures) failed, \(report.unexercisedRules.count) rules unexercised")
            if failures > 0 || report.results.isEmpty {
                if report.results.isEmpty { FileHandle.standardError.write(Data("policy test: the case file has no cases\n".utf8)) }
                throw ExitCode(1)
            }
        }
    }

    static func loadPolicy(_ path: String) throws -> Policy {
        do { return try Policy.load(path: path) } catch { throw failure("\(unwrap(error))") }
    }

    static func unwrap(_ error: Error) -> String { (error as? PolicyError)?.description ?? "\(error)" }

    /// The error without the file name that `Policy.load` adds (for lines that already start with it).
    static func withoutFile(_ error: Error) -> String {
        if case PolicyError.inFile(_, let inner)? = error as? PolicyError { return inner.description }
        return unwrap(error)
    }

    static func failure(_ message: String) -> Error {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(2)
    }

    static func json(_ d: Decision) -> String {
        JSONValue.object([
            (key: "effect", value: .string(d.effect.rawValue)),
            (key: "policy_hash", value: .string(d.policyHash)),
            (key: "reason", value: .string(d.reason)),
            (key: "rule_ids", value: .array(d.ruleIDs.map { .string($0) })),
        ]).serialized
    }
}
