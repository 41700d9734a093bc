/// An option out of its range, found when the options are made: names the parameter (as the
/// library spells it; the CLI puts its flag name in front) and what is allowed.
public struct OptionsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The parameter, e.g. `quality`.
    public var parameter: String
    /// What is wrong and what is allowed, e.g. "is 0; allowed 1–100".
    public var message: String

    public init(_ parameter: String, _ message: String) {
        self.parameter = parameter
        self.message = message
    }

    public var description: String { "\(parameter) \(message)" }

    static func check(_ ok: Bool, _ parameter: String, _ message: @autoclosure () -> String) throws(OptionsError) {
        if !ok { throw OptionsError(parameter, message()) }
    }
}
