import Synchronization

extension CronExpression {
    /// Parsed expressions by text, for reading stored schedules: a scheduler reads thousands of
    /// rows a minute that share a few expressions, and parsing each was a sixth of its pass.
    private static let parsed = Mutex<[String: CronExpression]>([:])
    /// Past this many distinct texts the cache starts over, so that it stays small.
    private static let cacheLimit = 4096

    /// The expression `text` parses to, from the cache when it was parsed before; nil when it
    /// does not parse.
    static func cached(_ text: String) -> CronExpression? {
        if let known = parsed.withLock({ $0[text] }) { return known }
        guard let expression = try? CronExpression(text) else { return nil }
        parsed.withLock { cache in
            if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[text] = expression
        }
        return expression
    }
}
