// Tensors: the module's one error type.

/// Errors raised by the numeric primitives; each case names the operands involved.
public enum TensorsError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(operation: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, expected, actual):
            return "\(operation): expected shape \(expected), got \(actual)"
        }
    }
}
