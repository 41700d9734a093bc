import Foundation

/// The profiles the estimator knows, keyed by model id: the built-in K2.6/K2.5 profile, plus any
/// read from a JSON file (an array of ``ModelProfile`` objects) that adds models or overrides
/// built-in ones, so new checkpoint values need no new release.
public struct ModelProfiles: Sendable {
    private var byModel: [String: ModelProfile]

    public static let builtIn = ModelProfiles(profiles: [.kimiK26])

    public init(profiles: [ModelProfile]) {
        byModel = [:]
        for profile in profiles { add(profile) }
    }

    /// Adds `profile` for each of its model ids, replacing what was there.
    public mutating func add(_ profile: ModelProfile) {
        for model in profile.models { byModel[model] = profile }
    }

    /// The built-in profiles overridden by the ones in `url` (JSON: `[ModelProfile]`).
    public static func loading(_ url: URL) throws -> ModelProfiles {
        var profiles = builtIn
        for profile in try JSONDecoder().decode([ModelProfile].self, from: Data(contentsOf: url)) { profiles.add(profile) }
        return profiles
    }

    public func profile(for model: String) -> ModelProfile? { byModel[model] }

    public var models: [String] { byModel.keys.sorted() }
}
