print("clipcap")
