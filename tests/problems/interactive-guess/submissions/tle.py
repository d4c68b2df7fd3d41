# Burns CPU while the interactor waits for the first query.
while True:
    pass
