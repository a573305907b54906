public import ConveyorPostgres

extension PostgresJobStore.Options {
    /// These options with a connect timeout of 30 s. At the suite's start every suite opens its
    /// stores at once on two cores, and opening has taken over the default 10 s — which says
    /// nothing of the store under test. The outage tests keep their short timeouts.
    public var patient: Self {
        var options = self
        options.connectTimeout = .seconds(30)
        return options
    }
}
