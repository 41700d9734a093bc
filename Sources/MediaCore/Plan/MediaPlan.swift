/// The plan of one input: an image's or a video's. Written whole into the manifest (the JSON of
/// the plan itself: a reader tells them apart by their fields).
public enum MediaPlan: Sendable, Hashable, Codable {
    case image(ImagePlan)
    case video(VideoPlan)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let video = try? c.decode(VideoPlan.self) { self = .video(video) } else { self = .image(try c.decode(ImagePlan.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .image(let plan): try c.encode(plan)
        case .video(let plan): try c.encode(plan)
        }
    }
}
