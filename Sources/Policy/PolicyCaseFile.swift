// Table-driven policy tests (`policy test POLICY CASES`), the `opa test` of this project:
//
//   [defaults]                       a context (PolicyContext.swift) shared by every case
//   screen = [1280, 800]
//   window = { executable = "/usr/bin/zenity", class = "Zenity", geometry = [100, 100, 400, 300] }
//
//   [[case]]
//   name = "types a name"            required, unique
//   action = '{"action":"type","text":"Ada"}'   computer_use arguments, coordinates in screen pixels
//   expect = "allow"                 allow | ask | deny
//   rule = "permit-typing"           optional: a rule id the decision must cite ("none" for the default deny)
//   …any context key, overriding the defaults for this case
//
// The report lists each case as pass/fail and the rules that no case made match.

import Actions
import Foundation
import StrictTOML

public struct PolicyCase: Sendable {
    public var name: String
    public var action: Action
    public var request: PolicyRequest
    public var expect: Decision.Effect
    public var rule: String?
}

public struct PolicyCaseFile: Sendable {
    public var cases: [PolicyCase]

    public static func load(path: String) throws -> PolicyCaseFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PolicyError.unreadable(file: path, reason: "no such file, not readable or not UTF-8")
        }
        do { return try PolicyCaseFile(toml: text) } catch let error as PolicyError { throw PolicyError.inFile(path, error) }
    }

    public init(toml text: String) throws {
        cases = try PolicyError.mappingSchemaErrors { try PolicyCaseFile.parseCases(text) }
    }

    private static func parseCases(_ text: String) throws -> [PolicyCase] {
        var root = try TOMLReader(parsing: text)
        var defaults = PolicyContext()
        if var d = try root.table("defaults") {
            try defaults.read(from: &d)
            try d.finish()
        }
        var names: Set<String> = []
        var cases: [PolicyCase] = []
        for var c in try root.tables("case") {
            let name = try c.requiredString("name")
            guard names.insert(name).inserted else { throw PolicyError.invalidValue(path: c.child("name"), reason: "case \"\(name)\" appears twice") }
            let json = try c.requiredString("action")
            let action: Action
            do { action = try Action(json: json) } catch {
                throw PolicyError.invalidValue(path: c.child("action"), reason: "\(error)")
            }
            let expectText = try c.requiredString("expect")
            guard let expect = Decision.Effect(rawValue: expectText) else {
                throw PolicyError.invalidValue(path: c.child("expect"), reason: "\"\(expectText)\" is not allow, ask or deny")
            }
            let rule = try c.string("rule")
            var context = defaults
            try context.read(from: &c)
            try c.finish()
            cases.append(PolicyCase(name: name, action: action, request: try context.request(for: action, path: c.child("screen")),
                                    expect: expect, rule: rule))
        }
        try root.finish()
        return cases
    }
}

public struct PolicyCaseResult: Sendable {
    public var name: String
    public var passed: Bool
    public var decision: Decision
    /// Why it failed, in words; empty when it passed.
    public var message: String
}

public struct PolicyTestReport: Sendable {
    public var results: [PolicyCaseResult]
    /// Rules of the policy that matched in no case.
    public var unexercisedRules: [String]
    /// A case file with no cases proves nothing, so it does not pass.
    public var passed: Bool { !results.isEmpty && results.allSatisfy(\.passed) }
}

extension Policy {
    public func run(_ file: PolicyCaseFile) -> PolicyTestReport {
        var exercised: Set<String> = []
        var results: [PolicyCaseResult] = []
        for c in file.cases {
            let evaluation = evaluate(c.request)
            exercised.formUnion(evaluation.trace.filter(\.matched).map(\.ruleID))
            let d = evaluation.decision
            var problems: [String] = []
            if d.effect != c.expect { problems.append("expected \(c.expect.rawValue), got \(d.effect.rawValue)") }
            if let rule = c.rule {
                if rule == "none" {
                    if !d.ruleIDs.isEmpty { problems.append("expected the default deny, decided by \(d.ruleIDs)") }
                } else if !d.ruleIDs.contains(rule) {
                    problems.append("expected rule \(rule) to decide, decided by \(d.ruleIDs.isEmpty ? "no rule" : d.ruleIDs.joined(separator: ", "))")
                }
            }
            let message = problems.isEmpty ? "" : problems.joined(separator: "; ") + " (\(d.reason))"
            results.append(PolicyCaseResult(name: c.name, passed: problems.isEmpty, decision: d, message: message))
        }
        let unexercised = rules.map(\.id).filter { !exercised.contains($0) }.sorted()
        return PolicyTestReport(results: results, unexercisedRules: unexercised)
    }
}
