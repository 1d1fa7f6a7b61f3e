import Foundation
@testable import Actions
@testable import Agent
import Desktop
import Imaging

/// A screen whose frames the test scripts. Each capture returns `frames[min(i, last)]` unless a
/// `changing` flag makes every capture different.
final class FakeScreen: Screen {
    var width = 200, height = 100
    var fill: UInt8 = 0
    var changing = false
    var captures = 0
    var windows: [WindowInfo] = []
    /// Called on each window lookup (lets a test swap the window under the target mid-step).
    var onLookup: ((Int) -> Void)?
    var lookups = 0

    func capture() throws -> Frame {
        captures += 1
        if changing { fill &+= 1 }
        return Frame(width: width, height: height, rgb: [UInt8](repeating: fill, count: width * height * 3))
    }

    func window(atX x: Int, y: Int) throws -> WindowInfo? {
        lookups += 1
        onLookup?(lookups)
        return windows.last { $0.frame.contains(x: x, y: y) }
    }

    /// Called on each focus lookup (lets a test move the focus mid-step).
    var onFocusLookup: ((Int) -> Void)?
    var focusLookups = 0
    func focusedWindow() throws -> WindowInfo? {
        focusLookups += 1
        onFocusLookup?(focusLookups)
        return windows.last
    }
    func pointerPosition() throws -> (x: Int, y: Int)? { nil }
}

final class FakeInput: InputDriver {
    var performed: [Action] = []
    /// Checked before each event is "sent": the decision for it must already be recorded.
    var audit: FakeAudit?
    var sentWithoutDecision = false

    func perform(_ action: Action) throws -> [String] {
        if let audit {
            let digest = ActionDigest.digest(action)
            let decided = audit.events.contains {
                if case .decision(_, digest, _, _, _, _, _) = $0 { return true }
                return false
            }
            if !decided { sentWithoutDecision = true }
        }
        performed.append(action)
        return ["fake \(action.kind.rawValue)"]
    }
}

struct FakeAuthorizer: Authorizer {
    var policyHash = String(repeating: "ab", count: 32)
    var decide: (Action, ActionContext) -> Authorization

    func authorize(_ action: Action, context: ActionContext) throws -> Authorization { decide(action, context) }

    static let allowAll = FakeAuthorizer { _, _ in Authorization(verdict: .allow, ruleIDs: ["permit-all"], reason: "test") }
}

final class FakeAudit: AuditSink {
    var events: [AuditEvent] = []
    var blobs: [String: [UInt8]] = [:]
    var failOn: ((AuditEvent) -> Bool)?

    func storeBlob(_ bytes: [UInt8]) throws -> String {
        let h = ActionDigest.hex(bytes)
        blobs[h] = bytes
        return h
    }

    func record(_ event: AuditEvent) throws {
        if let failOn, failOn(event) { throw AgentError.audit("disk full (test)") }
        events.append(event)
    }

    var kinds: [String] {
        events.map { e in
            switch e {
            case .sessionStart: return "session_start"
            case .observation: return "observation"
            case .modelCall: return "model_call"
            case .proposal: return "proposal"
            case .rejectedProposal: return "rejected"
            case .decision(_, _, let v, _, _, _, _): return "decision:\(v.rawValue)"
            case .approval(_, _, let ok, _, _, _): return "approval:\(ok)"
            case .rehearsal: return "rehearsal"
            case .aborted: return "aborted"
            case .execution: return "execution"
            case .settle: return "settle"
            case .verification(_, _, let outcome, _): return "verification:\(outcome)"
            case .compensationDecision(_, _, _, _, let v, _, _, _, _): return "compensation-decision:\(v.rawValue)"
            case .rollback(_, _, let kind, _, _, _, _): return "rollback:\(kind)"
            case .isolation(let stage, _, _, let started, _): return "isolation:\(stage):\(started)"
            case .resultReview(_, _, _, let kept, _): return "result-review:\(kept)"
            case .sessionEnd(let s, _): return "end:\(s)"
            }
        }
    }
}

/// PNG stand-in: the tests never decode it, they only need bytes that change with the frame.
struct FakeEncoder: FrameEncoder {
    func png(_ frame: Frame) throws -> [UInt8] { [0x89, 0x50, UInt8(frame.width & 0xFF), UInt8(frame.height & 0xFF)] + frame.rgb.prefix(16) }
    func resized(_ frame: Frame, width: Int, height: Int) throws -> Frame {
        Frame(width: width, height: height, rgb: [UInt8](repeating: frame.rgb.first ?? 0, count: width * height * 3))
    }
    func annotated(_ frame: Frame, target: (x: Int, y: Int)?, window: WindowInfo?) throws -> Frame { frame }
}

/// Virtual time: sleeping advances it instantly.
final class FakeClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var t = 1000.0
    func now() -> Double { lock.lock(); defer { lock.unlock() }; return t }
    func sleep(seconds: Double) async { advance(max(0, seconds)) }
    func advance(_ s: Double) { lock.lock(); t += s; lock.unlock() }
}

/// A planner that records the requests it gets and replays canned replies.
actor ScriptedPlanner: Planner {
    nonisolated let identity = "scripted"
    var replies: [String]
    var requests: [PlanRequest] = []
    init(_ replies: [String]) { self.replies = replies }
    func propose(_ request: PlanRequest) async throws -> PlannerTurn {
        requests.append(request)
        guard !replies.isEmpty else { throw AgentError.transcriptExhausted(path: "scripted", turns: 0) }
        return PlannerTurn(text: replies.removeFirst(), prompt: "p")
    }
}

struct FixedApprover: Approver {
    var approve: Bool
    var tamperDigest = false
    func review(_ request: ApprovalRequest) async throws -> ApprovalAnswer {
        ApprovalAnswer(approved: approve, approver: "test-operator",
                       actionDigest: tamperDigest ? String(repeating: "0", count: 64) : request.actionDigest,
                       screenshotHash: request.screenshotHash)
    }
}

func call(_ arguments: String) -> String {
    "<tool_call>\n{\"name\": \"computer_use\", \"arguments\": \(arguments)}\n</tool_call>"
}

func window(id: UInt, title: String, className: String, executable: String, x: Int, y: Int, width: Int, height: Int) -> WindowInfo {
    WindowInfo(id: id, frame: PixelRect(x: x, y: y, width: width, height: height), title: title, instanceName: className.lowercased(),
               className: className, pid: 1, executable: executable, isFocused: false)
}
