// Detectors for secrets in text the model wants to type or report. They look for shapes, not values:
// a policy cannot know the user's password, but it can refuse to type a PEM private key, an AWS key id,
// a `password=` assignment, a card number that passes Luhn, or a JWT. False positives cost an
// approval or a denial; false negatives cost a leak, so the patterns err towards matching.

import Foundation

public enum SecretKind: String, CaseIterable, Sendable {
    case privateKey = "private-key"
    case awsAccessKey = "aws-access-key"
    case credentialAssignment = "credential-assignment"
    case creditCard = "credit-card"
    case jwt
    case githubToken = "github-token"
}

public enum SecretDetector {
    // Compiled once; these patterns are fixed, so a failure to compile is a programming error caught
    // by the tests, and such a detector is skipped rather than crashing the agent.
    static let patterns: [(SecretKind, NSRegularExpression?)] = [
        (.privateKey, try? NSRegularExpression(pattern: "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
        (.awsAccessKey, try? NSRegularExpression(pattern: "\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\\b")),
        (.credentialAssignment, try? NSRegularExpression(
            pattern: "(?i)\\b(?:password|passwd|pwd|pass|secret|token|api[_-]?key|access[_-]?key|auth|bearer|aws_secret_access_key)\\s*[=:]\\s*\\S{3,}")),
        (.jwt, try? NSRegularExpression(pattern: "\\beyJ[A-Za-z0-9_-]{4,}\\.eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{8,}")),
        (.githubToken, try? NSRegularExpression(pattern: "\\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\\b")),
    ]

    static let cardCandidate = try? NSRegularExpression(pattern: "(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")

    /// The kinds of secret found in `text`, in a fixed order, without duplicates.
    public static func detect(in text: String) -> [SecretKind] {
        let range = NSRange(text.startIndex..., in: text)
        var found: [SecretKind] = []
        for (kind, regex) in patterns {
            if let regex, regex.firstMatch(in: text, range: range) != nil { found.append(kind) }
        }
        if let cardCandidate {
            for match in cardCandidate.matches(in: text, range: range) {
                guard let r = Range(match.range, in: text) else { continue }
                let digits = text[r].compactMap(\.wholeNumberValue)
                if (13...19).contains(digits.count) && luhnValid(digits) { found.append(.creditCard); break }
            }
        }
        return SecretKind.allCases.filter(found.contains)
    }

    /// The Luhn checksum that every payment card number satisfies.
    static func luhnValid(_ digits: [Int]) -> Bool {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            if i % 2 == 1 {
                let doubled = d * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += d
            }
        }
        return sum % 10 == 0
    }
}

enum TextInspection {
    /// Control characters as `U+XXXX` names: C0, DEL and C1 (newline, tab and carriage return included),
    /// the Unicode line and paragraph separators, and bidirectional overrides that disguise text.
    static func controlCharacters(in text: String) -> [String] {
        var names: [String] = []
        for s in text.unicodeScalars {
            let v = s.value
            let isControl = v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
                || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            if isControl {
                let name = "U+" + String(format: "%04X", v)
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    /// True when `path`, with `.` and `..` resolved lexically, is `dir` or lies beneath it.
    static func path(_ path: String, isInside dir: String) -> Bool {
        let p = URL(fileURLWithPath: path).standardized.path
        let d = URL(fileURLWithPath: dir).standardized.path
        return p == d || p.hasPrefix(d == "/" ? "/" : d + "/")
    }
}
