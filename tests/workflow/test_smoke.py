def test_make_agreement_in_force(make_agreement):
    agreement = make_agreement("in_force", partners=("GBR", "FRA"))
    assert agreement.state == "in_force"
    assert agreement.transition_logs.filter(transition="record_signature").count() == 3
