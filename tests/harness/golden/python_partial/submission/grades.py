def letter(score):
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    return "C"  # forgets D and F


def clamp(value, low, high):
    return max(low, value)  # forgets the upper bound
