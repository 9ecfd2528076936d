from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The benchmarks as an app of the test settings only: viewflow finds a flow by the app
    that holds it ("benchmarks/viewflow_peer.PeerFlow"), so the peer flow must be in one."""

    name = "benchmarks"
    verbose_name = "Benchmarks"
