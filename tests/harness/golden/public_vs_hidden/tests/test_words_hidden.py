SECRET_INPUT = "hidden secret input"


def test_shout_hidden(student):
    expected = SECRET_INPUT.upper() + "!"
    assert student.shout(SECRET_INPUT) == expected, "shout() must end with an exclamation mark"
