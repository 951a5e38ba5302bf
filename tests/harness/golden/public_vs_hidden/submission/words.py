def shout(text):
    return text.upper()  # forgets the "!"
