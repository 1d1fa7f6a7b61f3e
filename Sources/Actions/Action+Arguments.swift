// Strict decoding of the computer_use `arguments` object into an `Action`.
//
// Strict means: `action` must be one of the 14 names; every parameter the action requires must be
// present with the schema's type; parameters the action does not use are rejected rather than
// ignored (a `left_click` carrying `text` is a confused proposal, not a click); numbers must be finite.
// Coordinates stay in the grid space the model used; range checks happen when they are mapped
// (`GridMapping`), where the limits are known.

import StrictJSON

extension Action {
    /// Parameters of the schema, per action: (required, optional).
    static let parameters: [ActionKind: (required: [String], optional: [String])] = [
        .key: (["keys"], []),
        .type: (["text"], []),
        .mouseMove: (["coordinate"], []),
        .leftClick: ([], ["coordinate"]),
        .leftClickDrag: (["coordinate"], []),
        .rightClick: ([], ["coordinate"]),
        .middleClick: ([], ["coordinate"]),
        .doubleClick: ([], ["coordinate"]),
        .tripleClick: ([], ["coordinate"]),
        .scroll: (["pixels"], ["coordinate"]),
        .hscroll: (["pixels"], ["coordinate"]),
        .wait: (["time"], []),
        .terminate: (["status"], []),
        .answer: (["text"], []),
    ]

    /// The longest wait a model may ask for, in seconds. Longer waits belong to the loop's budgets.
    public static let maximumWait: Double = 60
    /// The largest scroll amount accepted in one action.
    public static let maximumScroll: Double = 10_000
    /// The longest text one `type` or `answer` action may carry.
    public static let maximumTextLength = 10_000

    /// Decodes the `arguments` object of a computer_use call.
    public init(arguments: JSONValue) throws {
        guard case .object(let members) = arguments else { throw ActionError.notAnObject(found: arguments.typeName) }
        guard let actionValue = arguments["action"] else {
            throw ActionError.missingParameter(action: "(none)", parameter: "action")
        }
        guard case .string(let name) = actionValue else {
            throw ActionError.wrongType(parameter: "action", expected: "a string", found: actionValue.typeName)
        }
        guard let kind = ActionKind(rawValue: name) else { throw ActionError.unknownAction(name) }
        let (required, optional) = Action.parameters[kind] ?? ([], [])
        for m in members where m.key != "action" && !required.contains(m.key) && !optional.contains(m.key) {
            throw ActionError.unexpectedParameter(action: name, parameter: m.key)
        }
        for r in required where arguments[r] == nil {
            throw ActionError.missingParameter(action: name, parameter: r)
        }
        let coordinate = try arguments["coordinate"].map { try Action.decodePoint($0, parameter: "coordinate") }

        switch kind {
        case .key:
            guard case .array(let items)? = arguments["keys"] else {
                throw ActionError.wrongType(parameter: "keys", expected: "an array of strings",
                                            found: arguments["keys"]?.typeName ?? "nothing")
            }
            let keys = try items.map { item -> String in
                guard case .string(let s) = item else {
                    throw ActionError.wrongType(parameter: "keys", expected: "an array of strings", found: "an array containing \(item.typeName)")
                }
                return s
            }
            self = .key(try KeyChord(keys: keys))
        case .type:
            self = .type(try Action.decodeText(arguments["text"], parameter: "text"))
        case .answer:
            self = .answer(try Action.decodeText(arguments["text"], parameter: "text"))
        case .mouseMove, .leftClickDrag:
            // Required above, so present; checked again rather than force-unwrapped.
            guard let coordinate else { throw ActionError.missingParameter(action: name, parameter: "coordinate") }
            self = kind == .mouseMove ? .mouseMove(coordinate) : .leftClickDrag(to: coordinate)
        case .leftClick: self = .leftClick(coordinate)
        case .rightClick: self = .rightClick(coordinate)
        case .middleClick: self = .middleClick(coordinate)
        case .doubleClick: self = .doubleClick(coordinate)
        case .tripleClick: self = .tripleClick(coordinate)
        case .scroll, .hscroll:
            let pixels = try Action.decodeNumber(arguments["pixels"], parameter: "pixels")
            guard pixels != 0, abs(pixels) <= Action.maximumScroll else {
                throw ActionError.invalidValue(parameter: "pixels", reason: "must be non-zero and at most \(Int(Action.maximumScroll)) in size")
            }
            self = kind == .scroll ? .scroll(pixels: pixels, at: coordinate) : .hscroll(pixels: pixels, at: coordinate)
        case .wait:
            let t = try Action.decodeNumber(arguments["time"], parameter: "time")
            guard t >= 0, t <= Action.maximumWait else {
                throw ActionError.invalidValue(parameter: "time", reason: "must be between 0 and \(Int(Action.maximumWait)) seconds")
            }
            self = .wait(seconds: t)
        case .terminate:
            guard case .string(let s)? = arguments["status"] else {
                throw ActionError.wrongType(parameter: "status", expected: "\"success\" or \"failure\"",
                                            found: arguments["status"]?.typeName ?? "nothing")
            }
            guard let status = TerminationStatus(rawValue: s) else {
                throw ActionError.invalidValue(parameter: "status", reason: "must be \"success\" or \"failure\", not \"\(s)\"")
            }
            self = .terminate(status)
        }
    }

    /// Decodes a whole tool call, `{"name": "computer_use", "arguments": {...}}`.
    public init(toolCall: JSONValue) throws {
        guard case .object(let members) = toolCall else { throw ActionError.notAnObject(found: toolCall.typeName) }
        for m in members where m.key != "name" && m.key != "arguments" {
            throw ActionError.unexpectedParameter(action: "tool call", parameter: m.key)
        }
        guard case .string(let name)? = toolCall["name"] else {
            throw ActionError.wrongType(parameter: "name", expected: "a string", found: toolCall["name"]?.typeName ?? "nothing")
        }
        guard name == "computer_use" else { throw ActionError.wrongTool(name) }
        guard let arguments = toolCall["arguments"] else {
            throw ActionError.missingParameter(action: "tool call", parameter: "arguments")
        }
        try self.init(arguments: arguments)
    }

    /// Decodes either a bare arguments object or a whole tool call from JSON text.
    public init(json text: String) throws {
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch let e as JSONParseError { throw ActionError.invalidJSON(e) }
        if value["name"] != nil || value["arguments"] != nil {
            try self.init(toolCall: value)
        } else {
            try self.init(arguments: value)
        }
    }

    static func decodeNumber(_ value: JSONValue?, parameter: String) throws -> Double {
        guard let value else { throw ActionError.missingParameter(action: "", parameter: parameter) }
        guard case .number = value else {
            throw ActionError.wrongType(parameter: parameter, expected: "a number", found: value.typeName)
        }
        guard let d = value.doubleValue else {
            throw ActionError.invalidValue(parameter: parameter, reason: "number is not finite")
        }
        return d
    }

    static func decodeText(_ value: JSONValue?, parameter: String) throws -> String {
        guard case .string(let s)? = value else {
            throw ActionError.wrongType(parameter: parameter, expected: "a string", found: value?.typeName ?? "nothing")
        }
        guard s.unicodeScalars.count <= Action.maximumTextLength else {
            throw ActionError.invalidValue(parameter: parameter, reason: "longer than \(Action.maximumTextLength) characters")
        }
        return s
    }

    static func decodePoint(_ value: JSONValue, parameter: String) throws -> Point {
        guard case .array(let items) = value, items.count == 2 else {
            throw ActionError.wrongType(parameter: parameter, expected: "an array of two numbers [x, y]", found: value.typeName == "array" ? "an array of another length" : value.typeName)
        }
        let x = try decodeNumber(items[0], parameter: parameter)
        let y = try decodeNumber(items[1], parameter: parameter)
        return Point(x: x, y: y)
    }
}

extension Action {
    /// The `arguments` object for this action, in the schema's spelling (for prompts and audit records).
    public var arguments: JSONValue {
        var m: [(key: String, value: JSONValue)] = [("action", .string(kind.rawValue))]
        func num(_ d: Double) -> JSONValue { .number(Point.format(d)) }
        func coord(_ p: Point) -> JSONValue { .array([num(p.x), num(p.y)]) }
        switch self {
        case .key(let chord): m.append(("keys", .array(chord.spelledKeys.map { .string($0) })))
        case .type(let t), .answer(let t): m.append(("text", .string(t)))
        case .mouseMove(let p), .leftClickDrag(to: let p): m.append(("coordinate", coord(p)))
        case .leftClick(let p), .rightClick(let p), .middleClick(let p), .doubleClick(let p), .tripleClick(let p):
            if let p { m.append(("coordinate", coord(p))) }
        case .scroll(let px, let p), .hscroll(let px, let p):
            m.append(("pixels", num(px)))
            if let p { m.append(("coordinate", coord(p))) }
        case .wait(let s): m.append(("time", num(s)))
        case .terminate(let s): m.append(("status", .string(s.rawValue)))
        }
        return .object(m)
    }
}
