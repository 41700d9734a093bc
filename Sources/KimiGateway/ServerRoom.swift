import Foundation

/// What a request's media weigh while they are prepared: how many, their pixels, their video seconds.
struct MediaLoad: Sendable, Equatable {
    var media = 0
    var pixels: Int64 = 0
    var seconds: Double = 0

    static func + (a: MediaLoad, b: MediaLoad) -> MediaLoad {
        MediaLoad(media: a.media + b.media, pixels: a.pixels + b.pixels, seconds: a.seconds + b.seconds)
    }

    static func - (a: MediaLoad, b: MediaLoad) -> MediaLoad {
        MediaLoad(media: a.media - b.media, pixels: a.pixels - b.pixels, seconds: a.seconds - b.seconds)
    }

    func fits(in capacity: MediaLoad) -> Bool { media <= capacity.media && pixels <= capacity.pixels && seconds <= capacity.seconds }
}

/// The whole server's limits on media being prepared at once: a request reserves its load before
/// preparing and gives it back after; one that does not fit waits, first come first served, up to
/// its patience — then it is refused (the caller answers 429 with `Retry-After`).
actor ServerRoom {
    let capacity: MediaLoad
    private var used = MediaLoad()
    private var waiting: [(id: Int, load: MediaLoad, resume: CheckedContinuation<Bool, Never>)] = []
    private var nextID = 0

    init(capacity: MediaLoad) { self.capacity = capacity }

    var queued: Int { waiting.count }

    /// Reserves `load` within `patience` seconds; `false` when the wait ran out.
    func reserve(_ load: MediaLoad, patience: Double) async -> Bool {
        if waiting.isEmpty, (used + load).fits(in: capacity) {
            used = used + load
            return true
        }
        let id = nextID
        nextID += 1
        Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(max(0, patience) * 1e9))
            await self?.timeOut(id)
        }
        return await withCheckedContinuation { waiting.append((id, load, $0)) }
    }

    func release(_ load: MediaLoad) {
        used = used - load
        // First come first served: the head of the queue goes when it fits, and those behind it wait.
        while let first = waiting.first, (used + first.load).fits(in: capacity) {
            waiting.removeFirst()
            used = used + first.load
            first.resume.resume(returning: true)
        }
    }

    private func timeOut(_ id: Int) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).resume.resume(returning: false)
        release(MediaLoad())  // the head may have changed
    }
}

/// At most `width` at once (files being prepared), the rest waiting in order.
actor Slots {
    let width: Int
    private var busy = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = max(1, width) }

    func acquire() async {
        if busy < width {
            busy += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy -= 1 } else { waiting.removeFirst().resume() }
    }
}
