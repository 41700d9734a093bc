/// Results of `work` over inputs `0..<count`, in input order, with at most `window` of them started
/// ahead of the consumer (running, or done and waiting): the one ordered-results helper of the
/// façade and the prober. Lazy — nothing starts before the first `next()`, and a consumer that stops
/// reading stops the work after the window; cancelling the consuming task cancels what is running
/// and ends the loop once it has stopped; dropping the iterator (a `break`) cancels what is running,
/// which then winds down on its own.
public struct OrderedWindow<Element: Sendable>: AsyncSequence, Sendable {
    let count: Int
    let window: Int
    let work: @Sendable (Int) async -> Element

    public init(count: Int, window: Int, work: @escaping @Sendable (Int) async -> Element) {
        self.count = count
        self.window = Swift.max(1, window)
        self.work = work
    }

    public func makeAsyncIterator() -> Iterator { Iterator(self) }

    /// Starts work as the consumer advances; cancels what runs when dropped.
    public final class Iterator: AsyncIteratorProtocol {
        private let sequence: OrderedWindow
        private var tasks: [Int: Task<Element, Never>] = [:]
        private var nextIndex = 0
        private var started = 0

        init(_ sequence: OrderedWindow) { self.sequence = sequence }

        public func next() async -> Element? {
            guard nextIndex < sequence.count, !Task.isCancelled else {
                await cancelAll()
                return nil
            }
            while started < Swift.min(sequence.count, nextIndex + sequence.window) {
                let index = started, work = sequence.work
                tasks[index] = Task { await work(index) }
                started += 1
            }
            guard let task = tasks.removeValue(forKey: nextIndex) else { return nil }
            nextIndex += 1
            let running = Array(tasks.values) + [task]
            return await withTaskCancellationHandler { await task.value } onCancel: { for t in running { t.cancel() } }
        }

        /// Cancels what runs and waits for it to end, so that the loop a cancellation ends has
        /// nothing of its work still running (or writing) after it.
        private func cancelAll() async {
            for task in tasks.values { task.cancel() }
            for task in tasks.values { _ = await task.value }
            tasks.removeAll()
        }

        deinit { for task in tasks.values { task.cancel() } }
    }
}
