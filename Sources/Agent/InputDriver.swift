// Input events for one action, behind a protocol (the command line supplies Desktop's XTest).

import Actions

/// Sends one action, in screen pixels, as input events. Returns a description of each event sent,
/// for the audit trail. Never called for `wait`, `terminate` or `answer`.
public protocol InputDriver: AnyObject {
    func perform(_ action: Action) throws -> [String]
}
