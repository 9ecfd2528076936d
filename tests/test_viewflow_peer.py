"""The benchmarks' viewflow peer runs, so the figures it gives stay what they claim."""

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from benchmarks import viewflow_peer
from benchmarks.viewflow_peer import PeerFlow


@pytest.mark.django_db(transaction=True)
def test_a_task_completion_is_viewflows_own_and_creates_the_next_task():
    run = viewflow_peer.time_task_completions(2)
    assert len(run.seconds) == len(run.statements) == 2
    assert all(count > 5 for count in run.statements)  # viewflow's own round trips
    for task in Task.objects.filter(flow_task=PeerFlow.task_1):
        assert task.status == STATUS.DONE
        assert task.owner.username == "viewflow_peer_benchmark"
    assert Task.objects.filter(flow_task=PeerFlow.task_2, status=STATUS.NEW).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_whole_process_runs_start_to_end():
    run = viewflow_peer.time_whole_processes(1)
    assert len(run.seconds) == 1
    process = Task.objects.get(flow_task=PeerFlow.end).process
    assert process.status == PROCESS.DONE
    assert process.flow_class is PeerFlow
    assert [t.flow_task for t in process.task_set.order_by("pk")] == [
        PeerFlow.start,
        PeerFlow.task_1,
        PeerFlow.task_2,
        PeerFlow.end,
    ]
