from cases.tests.factories import open_case


def test_a_new_case_starts_at_the_initial_decision(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    assert case.current_stage.key == "initial_decision"
    assert case.current_task_id is not None
