// The model behind one protocol. A planner turns the task, the story so far and the current screenshot
// into the model's raw reply text; turning that text into an action is `ToolCallParser`'s job, so a
// planner never decides what is executed.

/// A screenshot as the model sees it: PNG bytes, already scaled to the pixel budget.
public struct ModelImage: Equatable, Sendable {
    public var png: [UInt8]
    public var width: Int
    public var height: Int

    public init(png: [UInt8], width: Int, height: Int) {
        self.png = png
        self.width = width
        self.height = height
    }
}

/// One earlier step, told to the model as text.
public struct StepNote: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        case executed
        case rejected(String)
        case denied(String)
        case notApproved(String)
        case failed(String)
    }

    public var index: Int
    /// The action in the model's own spelling (grid coordinates), or nil when the reply had none.
    public var action: String?
    public var outcome: Outcome

    public init(index: Int, action: String?, outcome: Outcome) {
        self.index = index
        self.action = action
        self.outcome = outcome
    }

    public var text: String {
        let what = action ?? "(no valid action)"
        switch outcome {
        case .executed: return "Step \(index): \(what) — done."
        case .rejected(let why): return "Step \(index): reply rejected, nothing executed — \(why)."
        case .denied(let why): return "Step \(index): \(what) — refused by the policy, nothing executed — \(why)."
        case .notApproved(let why): return "Step \(index): \(what) — not approved, nothing executed — \(why)."
        case .failed(let why): return "Step \(index): \(what) — failed — \(why)."
        }
    }
}

/// Everything a planner needs for one turn.
public struct PlanRequest: Equatable, Sendable {
    public var task: String
    public var history: [StepNote]
    /// Why the previous reply was rejected or refused, to be told to the model now.
    public var feedback: String?
    public var screenshot: ModelImage
    /// Seconds left of the session's time budget when the turn starts (nil: no limit). A planner that
    /// cannot answer within them throws `AgentError.timeBudgetExhausted` instead of overrunning it.
    public var secondsLeft: Double?

    public init(task: String, history: [StepNote], feedback: String?, screenshot: ModelImage, secondsLeft: Double? = nil) {
        self.task = task
        self.history = history
        self.feedback = feedback
        self.screenshot = screenshot
        self.secondsLeft = secondsLeft
    }
}

/// One model turn: the raw reply and what produced it.
public struct PlannerTurn: Equatable, Sendable {
    public var text: String
    /// The prompt as sent (messages without the image bytes), for the audit trail.
    public var prompt: String

    public init(text: String, prompt: String) {
        self.text = text
        self.prompt = prompt
    }
}

public protocol Planner: Sendable {
    /// Names the model for the audit trail and the summary (`replay:demo.jsonl`, `openai:…#qwen3-vl`).
    var identity: String { get }
    /// session_start's `weight_hash`: what the planner can say about the weights it runs ("none" when it
    /// cannot: a server's or a transcript's).
    var weightHash: String { get }
    func propose(_ request: PlanRequest) async throws -> PlannerTurn
}

extension Planner {
    public var weightHash: String { "none" }
}
