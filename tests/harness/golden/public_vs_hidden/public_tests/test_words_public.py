def test_shout_public(student):
    assert student.shout("hi") == "HI!", "shout() must end with an exclamation mark"
